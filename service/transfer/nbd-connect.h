/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One way to open a libnbd connection for the copies that read a source
 * themselves (resumable, incremental) and for verify. */
#ifndef UCH_NBD_CONNECT_H
#define UCH_NBD_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <libnbd.h>

/* A handle connected to `uri` (nbd+unix:// with a local socket allowed),
 * asking for base:allocation and, when `bitmap` is not NULL, for
 * qemu:dirty-bitmap:BITMAP.  NULL with libnbd's words in errbuf
 * (without the name of the libnbd call) on failure. */
struct nbd_handle *uch_nbd_connect(const char *uri, const char *bitmap,
                                   char *errbuf, size_t len);

/* libnbd's last error without the name of the call ("nbd_pread: x" ->
 * "x"): the function name means nothing to the person reading the
 * job's error. */
void uch_nbd_error(char *buf, size_t len);

/* Ends a connection.  `polite` (the work is done, nothing is in
 * flight): NBD_CMD_DISC first.  Otherwise, on a cancel or an error,
 * nbd_close() alone: nbd_shutdown() would wait for the reads still in
 * flight, which on a slow source hold a cancel up for as long as they
 * take; nbd_close() drops them. */
void uch_nbd_disconnect(struct nbd_handle *nbd, bool polite);

#endif
