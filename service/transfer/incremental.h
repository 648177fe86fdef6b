/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pass of a warm migration: only the changed parts of a source onto a
 * raw destination that already holds an earlier copy.  The changes come
 * from a qemu dirty bitmap over NBD (meta context qemu:dirty-bitmap:NAME)
 * or from a list in the request (VMware CBT, OpenStack change tracking).
 * libnbd reads with several requests in flight; a changed range the
 * source reports as a hole or zeroes is zeroed on the destination without
 * being read; the destination is flushed before the pass counts. */
#ifndef UCH_INCREMENTAL_H
#define UCH_INCREMENTAL_H

#include <stdint.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"
#include "transfer/extents.h"

struct pass_result {
  uint64_t changed;         /* bytes the changes cover */
  uint64_t read;            /* bytes read from the source */
  uint64_t zeroed;          /* bytes zeroed without reading */
};

/* `changes` is what changed: a bitmap's name or a list of extents
 * (CHANGES_BITMAP or CHANGES_EXTENTS).  `uri` is the source.  With
 * `dst_uri` (else NULL) the pass writes dst_path through that NBD
 * export (a sync job's rehearsal snapshot, sync/snapshot.h).  With
 * `rate_file` (else NULL: a source our nbdkit's rate filter paces, or
 * one not limited) the reads keep to the limit it holds. */
int incremental_pass(struct runner *r, size_t disk, const char *uri,
                     const struct rq_changes *changes, const char *dst_path,
                     const char *dst_uri, const char *rate_file,
                     struct pass_result *res, struct job_failure *f);

/* {"changed_bytes", "bytes_read", "bytes_zeroed"} */
json_object *pass_result_json(const struct pass_result *p);

/* The n changed extents of a request's list, sorted and merged,
 * clipped to `size`; -1 when one is empty. */
int changes_from_list(const struct rq_extent *list, size_t n, uint64_t size,
                      struct extents *e);

/* Building blocks shared with resumable.c. */
struct nbd_handle;
/* Zeroes a range of a file (punched) or block device (BLKZEROOUT). */
int zero_range(int fd, bool is_block, uint64_t off, uint64_t len);
/* The same over NBD, a request of at most 1 GiB at a time; errno set. */
int zero_range_nbd(struct nbd_handle *dst, uint64_t off, uint64_t len);

#endif
