/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How the worker runs each job type.  The rest of a type's entry (its
 * name, parse, and disks) is in jobs/job-types.c, a layer below: this
 * table adds the run function, indexed by enum job_kind, so no type's
 * name is written twice and nothing here compares names. */
#ifndef UCH_WORKER_JOB_TYPES_H
#define UCH_WORKER_JOB_TYPES_H

#include <json-c/json.h>

#include "jobs/job-types.h"
#include "runner/runner.h"

/* The run function of `kind`. */
job_run_fn *worker_job_run(enum job_kind kind);

/* Parses r's request (request_load) and runs it by its kind; an unknown
 * type fails "unsupported". */
int worker_run_job(struct runner *r, json_object *result,
                   struct job_failure *f);

#endif
