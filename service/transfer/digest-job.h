/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "digest" job: SHA-256s of given extents of local disks
 * (transfer/digest.h), the source appliance's half of a verified pass;
 * result.disks[i].digest is what a pass's "verify" takes. */
#ifndef UCH_DIGEST_JOB_H
#define UCH_DIGEST_JOB_H

#include <json-c/json.h>

#include "runner/runner.h"

int digest_job_run(struct runner *r, const struct job_request *req,
                   json_object *result, struct job_failure *f);

#endif
