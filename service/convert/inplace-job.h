/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inplace job: virt-v2v-in-place on disks already copied, through
 * qcow2 overlays committed only on success (docs/internals.md). */
#ifndef UCH_INPLACE_JOB_H
#define UCH_INPLACE_JOB_H

#include <json-c/json.h>

#include "convert/convert-job.h"
#include "jobs/job-request.h"
#include "runner/runner.h"

/* Returns 0, or -1 with f set (or on cancel). */
int inplace_job_run(struct runner *r, const struct job_request *req,
                    json_object *result, struct job_failure *f);
/* The same for `req`, an inplace request: sync's step after its
 * cutover builds one of its destinations. */
int inplace_run(struct runner *r, const struct inplace_request *req,
                json_object *result, struct job_failure *f);

/* A rehearsal of inplace_run(): the same conversion on throw-away qcow2
 * overlays over the disks, which are only read; the overlays go
 * whatever the outcome.  BACKING (or NULL) gives each overlay's
 * backing instead of its disk, raw: a snapshot of it (sync's, an NBD
 * URI), so that the disk may be written meanwhile.  RESULT gets "guest", "virtio_drivers" and
 * "warnings" as inplace_run()'s does.  STOP (or NULL) may end it early
 * (f's code "stopped").  Returns 0, or -1 with f set
 * (virt-v2v-in-place's own error line) or on cancel. */
int inplace_rehearse(struct runner *r, const struct inplace_request *req,
                     const char *const *backing, const struct v2v_stop *stop,
                     json_object *result, struct job_failure *f);

#endif
