/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sync job (a warm migration): pass 1 copies everything allocated,
 * then the job waits (phase "waiting") and each later pass copies only
 * what changed, when asked (POST /v1/jobs/{id}/sync, a request file, see
 * jobs/sync_request.h) or every interval_s; a cutover runs the last pass
 * and ends the job (docs/internals.md, "Sync, step by step"). */
#ifndef UCH_SYNC_JOB_H
#define UCH_SYNC_JOB_H

#include <json-c/json.h>

#include "runner/runner.h"

/* Fills result.passes and result.disks; returns 0 after the cutover
 * pass, or -1 with f set (or on cancel). */
int sync_job_run(struct runner *r, const struct job_request *req,
                 json_object *result, struct job_failure *f);

#endif
