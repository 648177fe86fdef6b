/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One job as the worker runs it: where its files are, its document
 * (state.json), and its children.  The same code serves `uch-job start`
 * (under uchd) and `uch-job run` (in the foreground). */
#ifndef UCH_RUNNER_H
#define UCH_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "runner/children.h"
#include "util/failure.h"

struct runner {
  const char *id;
  char *job_dir;            /* STATE/jobs/ID */
  char *rt_dir;             /* RUNTIME/jobs/ID (0700) */
  char *scratch_dir;        /* STATE/jobs/ID/scratch, once asked for */
  char *state_path;
  json_object *doc;         /* state.json */
  json_object *request;     /* borrowed from doc */
  int lock_fd;
  int log_fd;
  bool foreground;          /* progress lines on stderr */
  double last_write;
  char *reserve_path;       /* STATE/jobs/ID/state.reserve, until used */
  bool state_full;          /* a write of state.json met ENOSPC */
  char last_shown[96];       /* the last progress line on stderr */
  struct children kids;
};

/* How a job ended; the exit status of uch-job. */
enum job_outcome {
  OUTCOME_SUCCEEDED = 0,
  OUTCOME_FAILED = 1,
  OUTCOME_CANCELLED = 2,
  /* the job ended, but its final state could not be written (its state
   * dir is full even after the reserve was freed) */
  OUTCOME_STATE_UNWRITTEN = 3,
};

/* Opens the job: takes worker.lock (returns -1 with a message on stderr
 * when another worker holds it), opens job.log, loads state.json or
 * request.json, becomes the job's owner (state running). */
int runner_open(struct runner *r, const char *state_dir,
                const char *runtime_dir, const char *id, bool foreground);
/* What runs a job of one type: fills `result`, 0 on success, -1 with
 * *f set on a failure (or alone on a cancel). */
typedef int runner_job_fn(struct runner *r, json_object *result,
                          struct job_failure *f);
struct job_request;
/* What runs a job of one type from its typed request (jobs/job-request.h,
 * parsed by the worker from the accepted request): the worker's table
 * (worker/job-types.c) holds one per type. */
typedef int job_run_fn(struct runner *r, const struct job_request *req,
                       json_object *result, struct job_failure *f);
/* Runs the job with `run` and writes the final state; returns the
 * outcome. */
enum job_outcome runner_run(struct runner *r, runner_job_fn *run);
/* Kills the children, removes RUNTIME/jobs/ID, closes everything. */
void runner_close(struct runner *r);

/* state.json now. */
int runner_write_state(struct runner *r);
/* state.json if the last write is older than half a second. */
void runner_write_progress(struct runner *r);
void runner_set_phase(struct runner *r, const char *phase);

/* Per-disk progress; recomputes the job's aggregate. */
void runner_disk_progress(struct runner *r, size_t disk, double percent,
                          uint64_t done, uint64_t total);

/* Progress of checking a disk after its copy (phase "verifying"):
 * `verify` {percent, bytes_done, bytes_total} in the disk and, summed
 * over the disks verified so far, in the job's progress, which itself
 * stays as the copy left it (it never goes back). */
void runner_verify_progress(struct runner *r, size_t disk, uint64_t done,
                            uint64_t total);

/* Whether a cancel (SIGTERM) arrived, its children polled first; for a
 * wait's stop(opaque) callback: OPAQUE is the struct runner. */
bool runner_cancel_requested(void *opaque);

/* A line about the job in job.log (and on stderr in the foreground). */
void runner_log(struct runner *r, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* STATE/jobs/ID/scratch (0700), made on first use and removed when the
 * job ends: for what is too big for RUNTIME, a tmpfs on the appliance
 * (virt-v2v's temporary files, inplace overlays).  NULL with errno on
 * failure. */
const char *runner_scratch_dir(struct runner *r);


/* Waits for a tool the job runs and forgets it: 0 when it succeeded;
 * -1 with f set to `code` and the tool's own last error line when it
 * failed; -1 alone on a cancel, after stopping it and its group. */
int runner_child_finish(struct runner *r, struct child *ch,
                        struct job_failure *f, const char *code);

#endif
