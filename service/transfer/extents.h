/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which parts of a disk hold data, from NBD block status
 * (base:allocation): holes and zero ranges need no copying, so the
 * allocated bytes are what a copy really moves. */
#ifndef UCH_EXTENTS_H
#define UCH_EXTENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libnbd.h>

struct extent {
  uint64_t offset;
  uint64_t length;
  bool data;                /* false: a hole or reads as zeroes */
};

struct extents {
  struct extent *v;
  size_t n, cap;
  uint64_t size;            /* the disk's size */
  uint64_t allocated;       /* bytes in data extents */
};

/* Appends [offset, offset+length), merged with the last extent when of
 * the same kind; extents must come in order. */
int extents_add(struct extents *e, uint64_t offset, uint64_t length,
                bool data);
void extents_free(struct extents *e);
/* Data bytes below `pos`. */
uint64_t extents_data_below(const struct extents *e, uint64_t pos);
/* Data bytes below `percent` of the size: bytes_done for "N/100". */
uint64_t extents_done_at_percent(const struct extents *e, int percent);

/* How long a wait for a server's answer to block status may last.  A
 * server that hangs on it (not only on reads) is no error to libnbd:
 * nbd_block_status() would wait for ever, and no cancel would reach
 * the worker meanwhile. */
struct source_wait {
  unsigned stall_s;          /* no answer for as long: a stall; 0: none */
  /* asked about at least once a second (may be NULL): true ends the
   * wait (a cancel) */
  bool (*stop)(void *opaque);
  void *opaque;
  bool stalled, stopped;     /* how the last wait ended */
  /* a connection waited for (source_wait_s) failed and is to be tried
   * again: told why (may be NULL) */
  void (*retrying)(void *opaque, const char *why);
  void *retry_opaque;
};

/* One block status request of `count` bytes at `off` (the callback as
 * nbd_block_status() takes it), waited for as `w` says (NULL: for
 * ever): 0, or -1 (w->stalled: errno ETIMEDOUT; w->stopped: ECANCELED;
 * else libnbd's error). */
int uch_block_status(struct nbd_handle *nbd, uint64_t count, uint64_t off,
                     nbd_extent_callback cb, struct source_wait *w);

/* Reads size and extents of the whole disk from a connected handle;
 * without base:allocation all of it is data.  On error returns -1 with
 * libnbd's message in errbuf (a stall or a stop: w says so, errbuf
 * too). */
int extents_from_nbd(struct nbd_handle *nbd, struct extents *e,
                     struct source_wait *w, char *errbuf, size_t errlen);

#endif
