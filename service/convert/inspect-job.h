/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inspect job: a guest's disks opened read-only with libguestfs (in
 * the helper process of inspect-guest.h), what it found turned into
 * result.guest, filesystems, kernels, and a verdict: result.convertible
 * with result.reasons. */
#ifndef UCH_INSPECT_JOB_H
#define UCH_INSPECT_JOB_H

#include <json-c/json.h>

#include "runner/runner.h"

/* Returns 0, or -1 with f set (or on cancel). */
int inspect_job_run(struct runner *r, const struct job_request *req,
                    json_object *result, struct job_failure *f);

#endif
