/* The copy job: each disk in turn, source to destination by nbdcopy,
 * optionally verified (docs/internals.md, "Copy, step by step"). */
#ifndef UCH_COPY_JOB_H
#define UCH_COPY_JOB_H

#include <json-c/json.h>

#include "runner.h"

/* Fills result.disks; returns 0, or -1 with f set (or on cancel). */
int copy_job_run(struct runner *r, json_object *result, struct job_failure *f);

#endif
