/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which parts of a disk hold data, from NBD block status
 * (base:allocation): holes and zero ranges need no copying, so the
 * allocated bytes are what a copy really moves. */
#ifndef UCH_EXTENTS_H
#define UCH_EXTENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nbd_handle;

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

/* Reads size and extents of the whole disk from a connected handle;
 * without base:allocation all of it is data.  On error returns -1 with
 * libnbd's message in errbuf. */
int extents_from_nbd(struct nbd_handle *nbd, struct extents *e,
                     char *errbuf, size_t errlen);

#endif
