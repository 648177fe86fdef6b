/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job types this worker runs: one entry each, found by the
 * request's "type". */
#ifndef UCH_WORKER_JOB_TYPES_H
#define UCH_WORKER_JOB_TYPES_H

#include <json-c/json.h>

#include "runner/runner.h"

struct worker_job_type {
  const char *name;             /* the request's "type" */
  runner_job_fn *run;
};

/* The entry for `name`, or NULL. */
const struct worker_job_type *worker_job_type(const char *name);

/* Runs r's request by its type; an unknown type fails "unsupported". */
int worker_run_job(struct runner *r, json_object *result,
                   struct job_failure *f);

#endif
