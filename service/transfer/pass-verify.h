/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A verified pass (issue 19 item 3): after a sync pass has written and
 * flushed a disk, the destination's digest of the extents the source
 * appliance digested (the pass body's "verify", transfer/digest.h),
 * compared piece by piece.  The pieces must cover every byte the pass
 * writes (checked before it writes); a piece that differs fails the
 * pass naming it. */
#ifndef UCH_PASS_VERIFY_H
#define UCH_PASS_VERIFY_H

#include <stdbool.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"
#include "transfer/digest.h"
#include "transfer/extents.h"

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

/* A pass whose digest is posted ("verify": true, POST
 * /v1/jobs/ID/digest): the destination digests what the pass wrote as
 * soon as it has flushed, before the source's digest arrives, in
 * pieces cut as a digest job cuts them (16 MiB of data); when the
 * source's pieces are the same windows only the hashes are compared,
 * else the destination is digested again in the source's pieces. */
struct pass_own_digest {
  struct extents e;         /* what the pass wrote; whole: [0, size) */
  bool whole;               /* pass 1, a bitmap pass: the whole disk */
  struct digest_piece *p;
  size_t n;
  int64_t size;
  double seconds;
};

/* The destination's own digest of `changes` (NULL: the whole disk):
 * 0, or -1 with f set (verify_failed) or on a cancel. */
int pass_own_digest(struct runner *r, size_t disk, const char *dst_path,
                    const struct rq_changes *changes,
                    struct pass_own_digest *own, struct job_failure *f);
void pass_own_digest_free(struct pass_own_digest *own);

/* Compares `own` with the posted digest `v` (which must cover every
 * byte the pass wrote: the whole disk, from 0 without a gap, up to the
 * source's end; else verify_failed naming the stretch left out): 0 and
 * "verified" in `res` ({pieces, bytes, seconds, waited_seconds}), or -1
 * with f set: verify_mismatch naming disks[disk] and the piece. */
int pass_verify_posted(struct runner *r, size_t disk, const char *dst_path,
                       struct pass_own_digest *own, const struct rq_digest *v,
                       double waited_s, json_object *res,
                       struct job_failure *f);

#endif
