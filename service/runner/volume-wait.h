/* SPDX-License-Identifier: GPL-2.0-or-later */
/* {"volume": ID, "wait_s": N} in a job's source or destination: the
 * attached block device it names (service/volumes), waited for while
 * the job can still be cancelled. */
#ifndef UCH_RUNNER_VOLUME_WAIT_H
#define UCH_RUNNER_VOLUME_WAIT_H

#include <stdbool.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"

/* *path is the device (caller frees); see volume_resolve(). */
int volume_open(struct runner *r, const struct rq_volume *v,
                bool destination, char **path, struct job_failure *f);
/* The same for the {"volume", "wait_s"} object `o` of a request whose
 * type is not typed yet (jobs/job-types.c). */
int volume_open_json(struct runner *r, json_object *o, bool destination,
                     char **path, struct job_failure *f);

#endif
