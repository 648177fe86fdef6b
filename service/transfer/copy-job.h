/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy job: each disk in turn, source to destination by uch-job's
 * own copy (resumable.h; qcow2 through qemu-nbd from a network source)
 * or nbdcopy (qcow2 from a local one), optionally verified
 * (docs/internals.md, "Copy, step by step"). */
#ifndef UCH_COPY_JOB_H
#define UCH_COPY_JOB_H

#include <stdint.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"

/* Fills result.disks; returns 0, or -1 with f set (or on cancel). */
int copy_job_run(struct runner *r, const struct job_request *req,
                 json_object *result, struct job_failure *f);

/* What copy_disk() did: the bytes it copied and the destination it
 * wrote (a volume's device), which replaces info->path (free it). */
struct copy_disk_done {
  uint64_t bytes_copied;
  char *path;
};
/* One disk of a copy request (one whose changes are not CHANGES_NONE
 * is an incremental pass); appends its result to `results`, and fills
 * *info when not NULL.  The sync job runs its passes through this. */
int copy_disk(struct runner *r, size_t i, const struct copy_disk_request *disk,
              bool verify, json_object *results, struct copy_disk_done *info,
              struct job_failure *f);
/* The same, for a copy whose request describes its link (NULL: none);
 * a network source's copy is sized for the link either way
 * (transfer/link-sizing.h) and its result says how: disks[i].sizing.
 * source_wait_s (the copy request's): an "nbd" source that does not
 * serve yet is tried again, on the copy's own connections, up to that
 * many seconds (0: it must serve at once). */
int copy_disk_linked(struct runner *r, size_t i,
                     const struct copy_disk_request *disk,
                     const struct rq_link *link, unsigned source_wait_s,
                     bool verify, json_object *results,
                     struct copy_disk_done *info, struct job_failure *f);
/* Writes the request's limits.bandwidth to the rate file unless PATCH
 * already set one. */
int bandwidth_start(struct runner *r, const struct rq_limits *limits,
                    struct job_failure *f);

#endif
