/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verified passes (issue 19 item 3): SHA-256s of extents of a local
 * disk, piece by piece, read next to it.  The source appliance's
 * "digest" job makes them of the extents a pass will write; the pass
 * makes the same of the destination once it is flushed and compares
 * (transfer/pass-verify.c): nothing is read twice over the network.
 *
 * The digest: the extents sorted, merged (touching ones too) and
 * clipped to the disk's size, then taken in order into pieces of at
 * most chunk_bytes of their data (a piece spans the gaps between small
 * extents, a big extent is cut); a piece is the window [OFFSET, OFFSET
 * + LENGTH) from its first byte of data to its last, and its SHA-256
 * is of the extents' bytes inside the window, in order, as the disk
 * holds them (not of the gaps).  So a list of many small extents (CBT
 * at 64 KiB) makes few pieces.  As JSON: {"algorithm": "sha256", "chunk_bytes": N,
 * "extents": [[OFFSET, LENGTH, HEX], ...]}, which a pass's "verify"
 * takes as it is. */
#ifndef UCH_DIGEST_H
#define UCH_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "runner/runner.h"
#include "transfer/extents.h"

#define DIGEST_HEX_LEN 64

struct digest_piece {
  uint64_t offset;          /* the window */
  uint64_t length;
  size_t first;             /* the first extent of `e` in the window */
  char sha256[DIGEST_HEX_LEN + 1];
};

/* The data extents of `e` (sorted, apart) taken into pieces of at most
 * `chunk` bytes of data: *out (caller frees), *n; -1 when out of
 * memory. */
int digest_cut(const struct extents *e, uint64_t chunk,
               struct digest_piece **out, size_t *n);

/* Sets each piece's `first` for the extents `e` (sorted, apart):
 * pieces given by a request, in order. */
void digest_place(const struct extents *e, struct digest_piece *p, size_t n);

/* Fills each piece's sha256 from `fd`, the data extents of `e` inside
 * it, in up to `threads` threads (0: as many as there are CPUs, at most
 * 4).  A cancel of the job stops it: -1 with r->kids.cancelled; a read
 * error: -1, errno set and *failed the piece it was in. */
int digest_compute(struct runner *r, int fd, const struct extents *e,
                   struct digest_piece *p, size_t n, unsigned threads,
                   size_t *failed);

/* {"algorithm": "sha256", "chunk_bytes": chunk, "extents": [...]} */
json_object *digest_json(const struct digest_piece *p, size_t n,
                         uint64_t chunk);

/* The size of an open file or block device, or -1. */
int64_t digest_fd_size(int fd);

#endif
