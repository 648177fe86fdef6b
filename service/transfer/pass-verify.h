/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A verified pass (issue 19 item 3): after a sync pass has written and
 * flushed a disk, the destination's digest of the extents the source
 * appliance digested (the pass body's "verify", transfer/digest.h),
 * compared piece by piece.  The pieces must cover every byte the pass
 * writes (checked before it writes); a piece that differs fails the
 * pass naming it. */
#ifndef UCH_PASS_VERIFY_H
#define UCH_PASS_VERIFY_H

#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"

/* Before the pass writes: 0 when the pieces of `v` cover every byte
 * of `changes` (merged, clipped to the destination) and none ends past
 * the destination, else -1 with f set (verify_failed, naming the first
 * stretch left out or the piece), so a digest that cannot verify the
 * pass fails it with nothing written. */
int pass_verify_check(size_t disk, const char *dst_path,
                      const struct rq_changes *changes,
                      const struct rq_digest *v, struct job_failure *f);

/* After it: 0 when every piece of `v` matches `dst_path` (then `res`, the disk's
 * result, gets "verified"), -1 with f set: code verify_mismatch naming
 * disks[disk] and the piece's [OFFSET, LENGTH], or verify_failed. */
int pass_verify(struct runner *r, size_t disk, const char *dst_path,
                const struct rq_changes *changes, const struct rq_digest *v,
                json_object *res, struct job_failure *f);

#endif
