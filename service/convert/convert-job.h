/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The convert job: one virt-v2v run, its messages turned into phase,
 * per-disk percent and warnings, its own error line into the job's
 * error, and the files it wrote into the result. */
#ifndef UCH_CONVERT_JOB_H
#define UCH_CONVERT_JOB_H

#include <json-c/json.h>

#include "convert/v2v-progress.h"
#include "runner/runner.h"

/* Returns 0, or -1 with f set (or on cancel). */
int convert_job_run(struct runner *r, const struct job_request *req,
                    json_object *result, struct job_failure *f);


/* Shared with the inplace job (inplace-job.c). */
/* The machine-readable file's path and virt-v2v's temporary directory
 * (VIRT_V2V_TMPDIR), both in the job's runtime dir. */
int v2v_prepare(struct runner *r, char **mr_path, char **tmpdir);
/* Runs A (TOOL: "virt-v2v" or "virt-v2v-in-place") to its end or a
 * cancel, feeding P (initialised by the caller) and the job's phase and
 * progress; on failure f holds TOOL's own error line. */
int v2v_run(struct runner *r, const char *tool, const struct argv *a,
            const char *mr_path, struct v2v_progress *p,
            struct job_failure *f);
/* v2v_run, stopped early when STOP says so (asked about four times a
 * second): TOOL's group is stopped as on a cancel and -1 returned with
 * f's code "stopped" and STOP's words. */
struct v2v_stop {
  bool (*fn)(void *arg, char *why, size_t len);
  void *arg;
};
int v2v_run_until(struct runner *r, const char *tool, const struct argv *a,
                  const char *mr_path, struct v2v_progress *p,
                  const struct v2v_stop *stop, struct job_failure *f);
/* state.disks has at least N entries (convert: as virt-v2v says how
 * many disks it copies; inplace: one a disk, from the start). */
void v2v_ensure_disks(struct runner *r, size_t n);
/* result.warnings from P. */
void v2v_add_warnings(json_object *result, const struct v2v_progress *p);

#endif
