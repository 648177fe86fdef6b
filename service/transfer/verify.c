/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libnbd.h>

#include "transfer/nbd-connect.h"
#include "transfer/rate-window.h"
#include "transfer/tool-argv.h"
#include "runner/tools.h"
#include "transfer/verify.h"
#include "util/timeutil.h"

#define VERIFY_CHUNK (4u << 20)

struct compare {
  struct runner *r;
  struct nbd_handle *src, *dst;
  const char *src_uri;
  bool network;             /* src_uri connected to again after a failure */
  struct rate_pacer pace;   /* a network source's, else no file */
  uint64_t size;            /* the source's */
  char *a, *b;
  struct job_failure *f;
  bool equal;
  size_t dst_next;          /* first copy extent not wholly before */
  size_t disk;
  uint64_t done, total;     /* source data compared, of its allocated */
};

static bool all_zero(const char *p, size_t n)
{
  return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static int cancelled(struct compare *c)
{
  children_poll(&c->r->kids, -1, 0);
  return c->r->kids.cancelled ? -1 : 0;
}

static int read_error(struct compare *c, const char *side)
{
  failure_set(c->f, "verify_failed", "reading the %s: %s", side,
              nbd_get_error());
  return -1;
}

/* n bytes of the source at off into c->a; a network source's read
 * keeps to the job's bandwidth limit, as the copy's did, and one that
 * failed is made again on a new connection, on the copy's schedule. */
static int source_read(struct compare *c, size_t n, uint64_t off)
{
  struct uch_nbd_retry again = { 0 };
  struct source_wait w = { .stall_s = stall_timeout_s(),
                           .stop = runner_cancel_requested, .opaque = c->r };
  char err[256], why[200];
  double wait;

  while ((wait = rate_pacer_take(&c->pace, n, time_monotonic())) > 0) {
    if (cancelled(c) < 0)
      return -1;
    long ns = wait < 0.1 ? (long)(wait * 1e9) + 1000000 : 100000000;
    nanosleep(&(struct timespec){ 0, ns }, NULL);
  }
  while (nbd_pread(c->src, c->a, n, off, 0) < 0) {
    uch_nbd_error(err, sizeof err);
    if (!c->network) {
      failure_set(c->f, "verify_failed", "reading the source: %s", err);
      return -1;
    }
    runner_log(c->r, "disk %zu: verify: reading the source at %llu: %s; "
               "connecting again", c->disk + 1, (unsigned long long)off,
               err);
    if (uch_nbd_reconnect(&c->src, c->src_uri, c->size, &again, &w, why,
                          sizeof why) < 0) {
      if (w.stopped)
        return -1;            /* the cancel is the job's end */
      if (why[0])
        failure_set(c->f, "verify_failed", "reading the source: %s", why);
      else
        failure_set(c->f, "verify_failed", "reading the source: %s (after "
                    "%u reconnects)", err, SOURCE_RETRIES);
      return -1;
    }
  }
  return 0;
}

static int compare_data(struct compare *c, uint64_t off, uint64_t len)
{
  while (len && c->equal) {
    size_t n = len < VERIFY_CHUNK ? len : VERIFY_CHUNK;
    if (cancelled(c) < 0)
      return -1;
    if (source_read(c, n, off) < 0)
      return -1;
    if (nbd_pread(c->dst, c->b, n, off, 0) < 0)
      return read_error(c, "copy");
    if (memcmp(c->a, c->b, n) != 0) {
      size_t i = 0;
      while (c->a[i] == c->b[i])
        i++;
      c->equal = false;
      failure_set(c->f, "verify_mismatch", "the copy differs from the source "
                  "at byte %llu", (unsigned long long)(off + i));
    }
    off += n;
    len -= n;
    c->done += n;
    runner_verify_progress(c->r, c->disk,
                           c->done < c->total ? c->done : c->total, c->total);
  }
  return 0;
}

static int check_zero(struct compare *c, uint64_t off, uint64_t len)
{
  while (len && c->equal) {
    size_t n = len < VERIFY_CHUNK ? len : VERIFY_CHUNK;
    if (cancelled(c) < 0)
      return -1;
    if (nbd_pread(c->dst, c->b, n, off, 0) < 0)
      return read_error(c, "copy");
    if (!all_zero(c->b, n)) {
      size_t i = 0;
      while (c->b[i] == 0)
        i++;
      c->equal = false;
      failure_set(c->f, "verify_mismatch", "the copy holds data at byte "
                  "%llu where the source reads as zeroes",
                  (unsigned long long)(off + i));
    }
    off += n;
    len -= n;
  }
  return 0;
}

/* Source holes: only the copy's data extents inside them can differ.
 * Both lists are in order, so the walk over the copy's goes on from
 * where the previous hole left it. */
static int check_hole(struct compare *c, const struct extents *dst,
                      uint64_t off, uint64_t len)
{
  uint64_t end = off + len;

  while (c->dst_next < dst->n &&
         dst->v[c->dst_next].offset + dst->v[c->dst_next].length <= off)
    c->dst_next++;
  for (size_t i = c->dst_next; i < dst->n && c->equal; i++) {
    const struct extent *e = &dst->v[i];
    if (e->offset >= end)
      break;
    uint64_t s = e->offset > off ? e->offset : off;
    uint64_t t = e->offset + e->length < end ? e->offset + e->length : end;
    if (e->data && s < t && check_zero(c, s, t - s) < 0)
      return -1;
  }
  return 0;
}

int verify_disk(struct runner *r, size_t disk, const char *src_uri,
                bool network, const char *rate_file, const char *dst_uri,
                const struct extents *src, bool *equal,
                struct job_failure *f)
{
  struct compare c = { .r = r, .f = f, .equal = true, .disk = disk,
                       .src_uri = src_uri, .network = network,
                       .pace = { .file = rate_file },
                       .size = src->size, .total = src->allocated };
  struct extents dst = { 0 };
  char err[512];
  int ret = -1;

  c.src = uch_nbd_connect(src_uri, NULL,
                          &(struct source_wait){ .stall_s = stall_timeout_s() },
                          err, sizeof err);
  if (!c.src) {
    failure_set(f, "verify_failed", "source: %s", err);
    goto out;
  }
  c.dst = uch_nbd_connect(dst_uri, NULL,
                          &(struct source_wait){ .stall_s = stall_timeout_s() },
                          err, sizeof err);
  if (!c.dst) {
    failure_set(f, "verify_failed", "copy: %s", err);
    goto out;
  }
  /* our own qemu-nbd or nbdkit on the copy: bounded all the same */
  if (extents_from_nbd(c.dst, &dst,
                       &(struct source_wait){ .stall_s = stall_timeout_s() },
                       err, sizeof err) < 0) {
    failure_set(f, "verify_failed", "copy: %s", err);
    goto out;
  }
  if (dst.size < src->size) {
    c.equal = false;
    failure_set(f, "verify_mismatch", "the copy is %llu bytes, the source "
                "%llu", (unsigned long long)dst.size,
                (unsigned long long)src->size);
  }
  c.a = malloc(VERIFY_CHUNK);
  c.b = malloc(VERIFY_CHUNK);
  if (!c.a || !c.b) {
    failure_set(f, "internal", "out of memory");
    goto out;
  }
  for (size_t i = 0; i < src->n && c.equal; i++) {
    const struct extent *e = &src->v[i];
    int r2 = e->data ? compare_data(&c, e->offset, e->length)
                     : check_hole(&c, &dst, e->offset, e->length);
    if (r2 < 0)
      goto out;
  }
  *equal = c.equal;
  if (c.equal)
    runner_verify_progress(r, disk, c.total, c.total);
  ret = 0;
out:
  free(c.a);
  free(c.b);
  extents_free(&dst);
  if (c.src)
    uch_nbd_disconnect(c.src, ret == 0);
  if (c.dst)
    uch_nbd_disconnect(c.dst, ret == 0);
  return ret;
}
