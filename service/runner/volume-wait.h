/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A typed {"volume": ID, "wait_s": N} of a request: the
 * attached block device it names (service/volumes), waited for while
 * the job can still be cancelled. */
#ifndef UCH_RUNNER_VOLUME_WAIT_H
#define UCH_RUNNER_VOLUME_WAIT_H

#include <stdbool.h>

#include "jobs/job-request.h"
#include "runner/runner.h"

/* *path is the device (caller frees); see volume_resolve(). */
int volume_open(struct runner *r, const struct rq_volume *v,
                bool destination, char **path, struct job_failure *f);

#endif
