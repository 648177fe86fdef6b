/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The export job: the request's disks served read-only by one nbdkit,
 * over a Unix socket or TCP with TLS-PSK, until cancelled or (with
 * until=client-done) until the last client leaves. */
#ifndef UCH_EXPORT_JOB_H
#define UCH_EXPORT_JOB_H

#include <json-c/json.h>

#include "runner/runner.h"

int export_job_run(struct runner *r, const struct job_request *req,
                   json_object *result, struct job_failure *f);

#endif
