/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reads source and copy back over NBD and compares them: the source's
 * data extents byte for byte, and its holes must read as zeroes in the
 * copy (only the copy's data extents there need reading).  The disk's
 * `verify` progress counts the source's data compared. */
#ifndef UCH_VERIFY_H
#define UCH_VERIFY_H

#include <stdbool.h>

#include "runner/runner.h"
#include "transfer/extents.h"

/* Returns 0 with *equal set (and the first difference in f->message when
 * not equal), or -1 on error or cancel.  `network`: src_uri is a network
 * source read directly, whose failed reads are made again on a new
 * connection (uch_nbd_reconnect), as the copy's were; with `rate_file`
 * (else NULL) its reads keep to the limit the file holds. */
int verify_disk(struct runner *r, size_t disk, const char *src_uri,
                bool network, const char *rate_file, const char *dst_uri,
                const struct extents *src, bool *equal,
                struct job_failure *f);

#endif
