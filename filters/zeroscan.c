/* SPDX-License-Identifier: GPL-2.0-or-later */
/* zeroscan: an nbdkit filter of UCH's that gives extents to a plugin
 * whose extents say nothing (nbdkit's file plugin on a block device
 * answers one data extent for the whole device), so that a client such
 * as nbdcopy skips the device's zero runs instead of reading them
 * through TLS and the network.
 *
 * For each extents request it asks the plugin's own extents (holes and
 * zeros pass through unread), then reads the data extents in granules
 * (zeroscan-granularity, 64K by default) and reports each run of
 * all-zero granules as HOLE|ZERO.  A call reads at most zeroscan-limit
 * bytes (32M by default) and answers the part it scanned: the NBD
 * protocol lets a server answer less than the range asked, and clients
 * (nbdcopy, nbdinfo --map, libnbd's users) ask again from where it
 * stopped.  The granules it finds holding data are read again by the
 * client, from the page cache.
 *
 * Every other call passes through.  Build: the Makefile's
 * $(B)/uch-zeroscan-filter.so; used by the export job's nbdkit as
 * --filter=PATH (docs/internals.md, "Exports of block devices"). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nbdkit-filter.h>

#define MIB (1024 * 1024)
/* one pread of at most this many bytes, or of one granule if larger */
#define READ_MAX (1 * MIB)
#define NO_RUN UINT32_MAX

static uint32_t granule = 64 * 1024;      /* zeroscan-granularity= */
static uint64_t scan_limit = 32 * MIB;    /* zeroscan-limit= */

static int zs_config(nbdkit_next_config *next, nbdkit_backend *nxdata,
                     const char *key, const char *value)
{
  int64_t r;

  if (strcmp(key, "zeroscan-granularity") == 0) {
    r = nbdkit_parse_size(value);
    if (r == -1)
      return -1;
    if (r < 512 || r > 16 * MIB || (r & (r - 1)) != 0) {
      nbdkit_error("zeroscan-granularity=%s: must be a power of 2 from "
                   "512 to 16M", value);
      return -1;
    }
    granule = (uint32_t)r;
    return 0;
  }
  if (strcmp(key, "zeroscan-limit") == 0) {
    r = nbdkit_parse_size(value);
    if (r == -1)
      return -1;
    if (r < 512 || r > 1024 * (int64_t)MIB) {
      nbdkit_error("zeroscan-limit=%s: must be from 512 to 1G", value);
      return -1;
    }
    scan_limit = (uint64_t)r;
    return 0;
  }
  return next(nxdata, key, value);
}

static int zs_config_complete(nbdkit_next_config_complete *next,
                              nbdkit_backend *nxdata)
{
  if (scan_limit < granule) {
    nbdkit_error("zeroscan-limit (%llu) is smaller than "
                 "zeroscan-granularity (%u)",
                 (unsigned long long)scan_limit, granule);
    return -1;
  }
  return next(nxdata);
}

static int zs_can_extents(nbdkit_next *next, void *handle)
{
  (void)next;
  (void)handle;
  return 1;
}

static bool all_zero(const unsigned char *p, size_t n)
{
  size_t head = n < 16 ? n : 16;

  for (size_t i = 0; i < head; i++)
    if (p[i])
      return false;
  /* the first 16 bytes are zero: the rest is if it equals itself
   * shifted by 16 */
  return n <= 16 || memcmp(p, p + 16, n - 16) == 0;
}

/* A scan in progress: the run of granules of one type not yet added. */
struct scan {
  nbdkit_next *next;
  struct nbdkit_extents *out;
  unsigned char *buf;
  uint64_t chunk;           /* buf's size: READ_MAX or one granule */
  uint64_t budget;          /* bytes this call may still read */
  uint64_t run_start;
  uint32_t run_type;        /* NO_RUN before the first granule */
  bool req_one;
  bool stop;                /* the answer is complete: add nothing more */
};

static int add_run(struct scan *s, uint64_t end, int *err)
{
  if (s->run_type == NO_RUN || end <= s->run_start)
    return 0;
  if (nbdkit_add_extent(s->out, s->run_start, end - s->run_start,
                        s->run_type) == -1) {
    *err = errno;
    return -1;
  }
  s->run_type = NO_RUN;
  if (s->req_one)
    s->stop = true;
  return 0;
}

static int add_granule(struct scan *s, uint64_t start, uint32_t type,
                       int *err)
{
  if (s->run_type != type) {
    if (add_run(s, start, err) == -1)
      return -1;
    if (s->stop)
      return 0;
    s->run_start = start;
    s->run_type = type;
  }
  return 0;
}

/* Reads [start, end) of a data extent while the budget lasts, granule
 * by granule; returns the offset it reached (end, or less when the
 * budget ran out or a REQ_ONE answer is complete), -1 on error. */
static int64_t scan_data(struct scan *s, uint64_t start, uint64_t end,
                         int *err)
{
  uint64_t pos = start;

  while (pos < end && s->budget > 0 && !s->stop) {
    /* reads end on a granule boundary, but for the extent's end */
    uint64_t rend = (pos / granule) * granule + s->chunk;
    if (rend > pos + s->budget)
      rend = ((pos + s->budget) / granule) * granule;
    if (rend > end)
      rend = end;
    if (rend <= pos)
      break;                   /* less budget left than a granule */
    if (s->next->pread(s->next, s->buf, (uint32_t)(rend - pos), pos, 0,
                       err) == -1)
      return -1;
    s->budget -= rend - pos;
    for (uint64_t g = pos; g < rend && !s->stop;) {
      uint64_t gend = (g / granule + 1) * granule;
      if (gend > rend)
        gend = rend;
      uint32_t type = all_zero(s->buf + (g - pos), gend - g)
                          ? NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO
                          : 0;
      if (add_granule(s, g, type, err) == -1)
        return -1;
      if (s->stop)
        return (int64_t)g;
      g = gend;
    }
    pos = rend;
  }
  return (int64_t)pos;
}

static int zs_extents(nbdkit_next *next, void *handle, uint32_t count,
                      uint64_t offset, uint32_t flags,
                      struct nbdkit_extents *extents, int *err)
{
  struct nbdkit_extents *inner = NULL;
  struct scan s = { .next = next, .out = extents, .budget = scan_limit,
                    .run_type = NO_RUN,
                    .req_one = (flags & NBDKIT_FLAG_REQ_ONE) != 0 };
  uint64_t end = offset + count, pos = offset;
  size_t n = 1;
  int ret = -1;

  (void)handle;
  s.chunk = granule > READ_MAX ? granule : READ_MAX;
  s.buf = malloc(s.chunk);
  if (!s.buf) {
    *err = errno;
    return -1;
  }
  /* the plugin's own holes and zeros, unread; without extents it is
   * all data */
  if (next->can_extents(next) == 1) {
    int64_t size = next->get_size(next);
    if (size == -1) {
      *err = EIO;
      goto out;
    }
    inner = nbdkit_extents_new(offset, (uint64_t)size);
    if (!inner) {
      *err = errno;
      goto out;
    }
    if (next->extents(next, count, offset, flags & ~NBDKIT_FLAG_REQ_ONE,
                      inner, err) == -1)
      goto out;
    n = nbdkit_extents_count(inner);
  }
  for (size_t i = 0; i < n && pos < end && !s.stop; i++) {
    struct nbdkit_extent e = { .offset = offset, .length = count,
                               .type = 0 };
    if (inner)
      e = nbdkit_get_extent(inner, i);
    uint64_t eend = e.offset + e.length < end ? e.offset + e.length : end;
    if (eend <= pos)
      continue;
    if (e.type & NBDKIT_EXTENT_ZERO) {
      if (add_granule(&s, pos, e.type, err) == -1)
        goto out;
      pos = eend;
      continue;
    }
    int64_t reached = scan_data(&s, pos, eend, err);
    if (reached == -1)
      goto out;
    pos = (uint64_t)reached;
    if (pos < eend)
      break;                   /* the budget ran out, or REQ_ONE */
  }
  if (!s.stop && add_run(&s, pos, err) == -1)
    goto out;
  ret = 0;
out:
  if (inner)
    nbdkit_extents_free(inner);
  free(s.buf);
  return ret;
}

static struct nbdkit_filter filter = {
  .name = "zeroscan",
  .longname = "UCH zeroscan filter",
  .description = "reports zero runs of a plugin without extents as holes",
  .config = zs_config,
  .config_complete = zs_config_complete,
  .config_help =
    "zeroscan-granularity=SIZE  Zero runs in granules of SIZE (64K).\n"
    "zeroscan-limit=SIZE        Read at most SIZE per extents call (32M).",
  .can_extents = zs_can_extents,
  .extents = zs_extents,
};

NBDKIT_REGISTER_FILTER(filter)
