/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A full copy onto a raw destination that can resume: libnbd reads the
 * data extents in order (up to 4 connections with 8 reads of 1 MiB in
 * flight each; less under a bandwidth limit, rate-window.h; across a
 * network as many as its link needs, link-sizing.h), holes are
 * zeroed, and about every second the destination is flushed (fdatasync)
 * and the offset below which it is complete is written to
 * STATE/jobs/ID/checkpoint-I.json.  A later run of the same job (a
 * resubmitted failed or cancelled one) starts from that offset when the
 * destination is still the same file or device and the source still
 * has the same size.  nbdcopy has no such thing: it works out of order
 * over several connections and flushes only at its end.
 *
 * The same copy writes into an NBD server instead (qemu-nbd serving a
 * qcow2 destination), one connection to it per connection to the
 * source, flushed at the end, without checkpoints (a qcow2 copy cannot
 * resume): across a WAN it reads on connections made while the source
 * was measured, where nbdcopy made its own one after the other
 * (bench/README.md, "Across a WAN"). */
#ifndef UCH_RESUMABLE_H
#define UCH_RESUMABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "runner/runner.h"
#include "transfer/extents.h"
#include "transfer/link-sizing.h"

struct resumable_result {
  uint64_t resumed_from;    /* offset this run started at */
  uint64_t copied;          /* data bytes this run read and wrote */
};

/* Copies disk `disk` (its extents `e`, from `uri`; errors name it as
 * `shown`, the request's source, where `uri` is the worker's own
 * socket in front of it; NULL: `uri`) to the raw `dst_path`, or, when
 * `dst_uri` is not NULL, to the NBD server there
 * (which takes QEMU_NBD_CLIENTS connections; `dst_path` names it in
 * errors); `is_zero`: the destination reads as zeroes already; `sz`:
 * connections and reads sized for a network link, NULL for the LAN's
 * 4 connections of 8 reads of 1 MiB; with `sz`, `uri` is the network
 * source itself, read without an nbdkit in between: the copy keeps to
 * the job's bandwidth limit (the rate file, re-read as it runs) and
 * connects again after a failed read, as nbdkit's rate and our
 * reconnect filter did (SOURCE_RETRIES, SOURCE_RETRY_DELAY).  `pre`: n_pre connections to
 * `uri` made already (NULL entries allowed; across a WAN the caller
 * connects them while it measures the source): the copy reads on those
 * it needs first, setting each it takes to NULL; the caller closes
 * what is left. */
int resumable_copy(struct runner *r, size_t disk, const char *uri,
                   const char *shown,
                   const struct extents *e, const char *dst_path,
                   const char *dst_uri, bool is_zero,
                   const struct link_sizing *sz, struct nbd_handle **pre,
                   size_t n_pre, struct resumable_result *res,
                   struct job_failure *f);

/* STATE/jobs/ID/checkpoint-I.json (free it). */
char *checkpoint_path(struct runner *r, size_t disk);

#endif
