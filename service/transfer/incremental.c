/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libnbd.h>

#include "runner/tools.h"
#include "transfer/dest-generation.h"
#include "transfer/incremental.h"
#include "transfer/nbd-connect.h"
#include "transfer/rate-window.h"
#include "util/cleanup.h"
#include "util/timeutil.h"

/* qemu:dirty-bitmap:NAME flags: bit 0 set means dirty */
#define QEMU_BITMAP_DIRTY 1u
#define IN_FLIGHT 16
#define REQUEST_MAX (1u << 20)
#define STATUS_CHUNK (1ULL << 30)

static int by_offset(const void *a, const void *b)
{
  const struct extent *x = a, *y = b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int changes_from_list(const struct rq_extent *list, size_t n, uint64_t size,
                      struct extents *e)
{
  struct extent *v = calloc(n ? n : 1, sizeof *v);
  size_t k = 0;

  if (!v)
    return -1;
  for (size_t i = 0; i < n; i++) {
    uint64_t off = list[i].offset, len = list[i].length;
    if (len == 0) {
      free(v);
      return -1;
    }
    if (off >= size)
      continue;
    if (len > size - off)
      len = size - off;
    v[k++] = (struct extent){ off, len, true };
  }
  qsort(v, k, sizeof *v, by_offset);
  e->size = size;
  for (size_t i = 0; i < k; i++) {
    uint64_t start = v[i].offset, end = start + v[i].length;
    /* overlapping or touching ranges become one */
    if (e->n && e->v[e->n - 1].data &&
        start <= e->v[e->n - 1].offset + e->v[e->n - 1].length) {
      struct extent *last = &e->v[e->n - 1];
      if (end > last->offset + last->length) {
        e->allocated += end - (last->offset + last->length);
        last->length = end - last->offset;
      }
      continue;
    }
    if (extents_add(e, start, end - start, true) < 0) {
      free(v);
      return -1;
    }
  }
  free(v);
  return 0;
}

struct status_walk {
  const char *context;
  uint32_t data_flags;      /* a range is "data" when any of these is set */
  bool data_when_clear;     /* ... or, for base:allocation, when none is */
  struct extents *e;
  uint64_t end, next;
};

static int status_cb(void *opaque, const char *metacontext, uint64_t offset,
                     uint32_t *entries, size_t nr, int *error)
{
  struct status_walk *w = opaque;
  (void)error;

  if (strcmp(metacontext, w->context) != 0)
    return 0;
  for (size_t i = 0; i + 1 < nr && offset < w->end; i += 2) {
    uint64_t len = entries[i];
    bool set = entries[i + 1] & w->data_flags;
    if (offset + len > w->end)
      len = w->end - offset;
    if (extents_add(w->e, offset, len, w->data_when_clear ? !set : set) < 0)
      return -1;
    offset += len;
  }
  w->next = offset;
  return 0;
}

/* [off, off+len) of `context` as extents, each answer waited for as
 * `wait` says. */
static int walk(struct nbd_handle *nbd, const char *context, uint32_t flags,
                bool when_clear, uint64_t off, uint64_t len, struct extents *e,
                struct source_wait *wait)
{
  uint64_t end = off + len;

  while (off < end) {
    struct status_walk w = { context, flags, when_clear, e, end, off };
    nbd_extent_callback cb = { .callback = status_cb, .user_data = &w };
    uint64_t n = end - off < STATUS_CHUNK ? end - off : STATUS_CHUNK;
    if (uch_block_status(nbd, n, off, cb, wait) < 0)
      return -1;
    if (w.next <= off) {
      errno = EPROTO;
      return -1;
    }
    off = w.next;
  }
  return 0;
}

/* A pass's reads in flight, and how it waits for them: nbd_poll() a
 * second at a time, reading signals between (a cancel), and nothing
 * completing for stall_s is a stall: a source that stops answering
 * ends the pass in bounded time, not never. */
struct pass_io {
  struct nbd_handle *nbd;
  struct nbd_handle *dst;   /* the destination over NBD, or NULL: fd */
  struct runner *r;
  int fd;
  int *err;
  bool *dst_err;
  uint64_t completions;     /* reads done */
  uint64_t seen;            /* completions at `since` */
  double since;
  unsigned stall_s;
  bool stalled;
  struct rate_pacer pace;   /* a network source's, else no file */
};

struct pending {
  int fd;
  struct nbd_handle *dst;
  uint64_t offset;
  size_t len;
  char *buf;
  int *err;
  bool *dst_err;
  uint64_t *completions;
};

static int read_done(void *opaque, int *error)
{
  struct pending *p = opaque;

  (*p->completions)++;
  if (*error && !*p->err)
    *p->err = *error;
  else if (!*error && p->dst) {
    /* another handle than the one calling back: libnbd allows it */
    if (nbd_pwrite(p->dst, p->buf, p->len, p->offset, 0) < 0 && !*p->err) {
      *p->err = nbd_get_errno() ? nbd_get_errno() : EIO;
      *p->dst_err = true;
    }
  } else if (!*error && pwrite(p->fd, p->buf, p->len, p->offset) !=
           (ssize_t)p->len && !*p->err) {
    *p->err = errno ? errno : EIO;
    *p->dst_err = true;
  }
  free(p->buf);
  free(p);
  return 1;
}

int zero_range(int fd, bool is_block, uint64_t off, uint64_t len)
{
  if (is_block) {
    uint64_t range[2] = { off, len };
    return ioctl(fd, BLKZEROOUT, range);
  }
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
    return 0;
  return fallocate(fd, FALLOC_FL_ZERO_RANGE, off, len);
}

/* The same over NBD (a sync job's destination held by a rehearsal's
 * snapshot, sync/snapshot.h), a request of at most 1 GiB at a time. */
int zero_range_nbd(struct nbd_handle *dst, uint64_t off, uint64_t len)
{
  while (len > 0) {
    uint64_t n = len < (1ULL << 30) ? len : 1ULL << 30;
    if (nbd_zero(dst, n, off, 0) < 0) {
      errno = nbd_get_errno() ? nbd_get_errno() : EIO;
      return -1;
    }
    off += n;
    len -= n;
  }
  return 0;
}

/* Waits until fewer than `limit` reads are in flight: -1 on a cancel,
 * an error, or a stall (*io->err ETIMEDOUT, io->stalled). */
static int pass_wait(struct pass_io *io, int limit)
{
  while (nbd_aio_in_flight(io->nbd) >= limit) {
    double now;

    if (nbd_poll(io->nbd, 1000) < 0)
      return -1;
    now = time_monotonic();
    if (io->completions != io->seen) {
      io->seen = io->completions;
      io->since = now;
    } else if (now - io->since >= io->stall_s) {
      io->stalled = true;
      if (!*io->err)
        *io->err = ETIMEDOUT;
      return -1;
    }
    children_poll(&io->r->kids, -1, 0);
    if (io->r->kids.cancelled || *io->err)
      return -1;
  }
  return 0;
}

/* A network source keeps to the job's bandwidth limit, as the copy
 * does (resumable.c's pace()): a read of n bytes is sent when the
 * pacer lets it, the reads in flight completing meanwhile.  -1 on a
 * cancel or an error, as pass_wait(). */
static int pass_pace(struct pass_io *io, size_t n)
{
  double wait;

  while ((wait = rate_pacer_take(&io->pace, n, time_monotonic())) > 0) {
    if (uch_nbd_wait_turn(io->nbd, wait) < 0)
      return -1;
    children_poll(&io->r->kids, -1, 0);
    if (io->r->kids.cancelled || *io->err)
      return -1;
  }
  return 0;
}

/* Reads [off, off+len) with up to IN_FLIGHT requests and writes it. */
static int copy_range(struct pass_io *io, uint64_t off, uint64_t len)
{
  struct nbd_handle *nbd = io->nbd;
  uint64_t end = off + len;

  while (off < end && !*io->err) {
    size_t n = end - off < REQUEST_MAX ? end - off : REQUEST_MAX;
    if (pass_wait(io, IN_FLIGHT) < 0 || pass_pace(io, n) < 0)
      return *io->err || io->r->kids.cancelled ? 0 : -1;
    struct pending *p = malloc(sizeof *p);
    if (!p || !(p->buf = malloc(n))) {
      free(p);
      return -1;
    }
    *p = (struct pending){ io->fd, io->dst, off, n, p->buf, io->err,
                           io->dst_err, &io->completions };
    nbd_completion_callback cb = { .callback = read_done, .user_data = p };
    if (nbd_aio_pread(nbd, p->buf, n, off, cb, 0) < 0) {
      free(p->buf);
      free(p);
      return -1;
    }
    off += n;
  }
  return 0;
}

static int changed_extents(struct nbd_handle *nbd,
                           const struct rq_changes *changes,
                           const char *ctx, uint64_t size, struct extents *e,
                           struct source_wait *wait, struct job_failure *f)
{
  if (changes->kind == CHANGES_EXTENTS) {
    if (changes_from_list(changes->extents, changes->n_extents, size,
                          e) < 0) {
      failure_set(f, "invalid_request", "changes.extents: malformed");
      return -1;
    }
    return 0;
  }
  if (nbd_can_meta_context(nbd, ctx) != 1) {
    failure_set(f, "source", "the source offers no %s (qemu-nbd -B NAME "
                "serves a qcow2 bitmap)", ctx);
    return -1;
  }
  e->size = size;
  if (walk(nbd, ctx, QEMU_BITMAP_DIRTY, false, 0, size, e, wait) < 0) {
    if (wait->stalled)
      failure_set(f, "timeout", "the source stalled: no answer to block "
                  "status %s for %u s (stall_timeout); nothing of this pass "
                  "was written: submit the same request again", ctx,
                  wait->stall_s);
    else if (!wait->stopped)
      failure_set(f, "source", "block status %s: %s", ctx,
                  nbd_get_error() ? nbd_get_error() : strerror(errno));
    return -1;
  }
  return 0;
}

/* A cancel arrived (a source_wait's stop, over a pass's io). */
static bool stop_pass(void *opaque)
{
  struct pass_io *io = opaque;

  children_poll(&io->r->kids, -1, 0);
  return io->r->kids.cancelled;
}

/* One changed extent: zeroed where the source reads as zeroes, read
 * and written where it holds data. */
static int pass_extent(struct pass_io *io, bool is_block,
                       const struct extent *c, struct pass_result *res)
{
  struct nbd_handle *nbd = io->nbd;
  int fd = io->fd, *err = io->err;
  bool *dst_err = io->dst_err;
  struct extents alloc = { 0 };
  int ret = -1;

  if (nbd_can_meta_context(nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) == 1) {
    struct source_wait w = { .stall_s = io->stall_s, .stop = stop_pass,
                             .opaque = io };
    if (walk(nbd, LIBNBD_CONTEXT_BASE_ALLOCATION,
             LIBNBD_STATE_HOLE | LIBNBD_STATE_ZERO, true, c->offset,
             c->length, &alloc, &w) < 0) {
      if (w.stalled) {
        io->stalled = true;
        if (!*err)
          *err = ETIMEDOUT;
      }
      goto out;
    }
  } else if (extents_add(&alloc, c->offset, c->length, true) < 0)
    goto out;
  for (size_t i = 0; i < alloc.n; i++) {
    const struct extent *a = &alloc.v[i];
    if (a->data) {
      if (copy_range(io, a->offset, a->length) < 0)
        goto out;
      res->read += a->length;
    } else {
      if ((io->dst ? zero_range_nbd(io->dst, a->offset, a->length)
                   : zero_range(fd, is_block, a->offset, a->length)) < 0) {
        *err = errno;
        *dst_err = true;
        goto out;
      }
      res->zeroed += a->length;
    }
  }
  ret = 0;
out:
  extents_free(&alloc);
  return ret;
}

int incremental_pass(struct runner *r, size_t disk, const char *uri,
                     const struct rq_changes *changes, const char *dst_path,
                     const char *dst_uri, const char *rate_file,
                     struct pass_result *res, struct job_failure *f)
{
  const char *bitmap = changes->kind == CHANGES_BITMAP ? changes->bitmap
                                                       : NULL;
  char ctx[128] = "", why[512];
  struct source_wait cw = { .stall_s = stall_timeout_s() };
  _cleanup_close_ int fd = open(dst_path, O_WRONLY | O_CLOEXEC);
  struct nbd_handle *nbd = NULL, *dst = NULL;
  struct pass_io io;
  struct extents e = { 0 };
  struct stat st;
  int err = 0, ret = -1;
  bool dst_err = false;
  int64_t size;

  memset(res, 0, sizeof *res);
  if (fd < 0 || fstat(fd, &st) < 0) {
    failure_set(f, "destination", "%s: %s (a pass writes onto an earlier "
                "copy)", dst_path, strerror(errno));
    return -1;
  }
  {
    /* a pass writes it: no other job's checkpoint of it holds now */
    char gen[DEST_GENERATION_LEN];
    if (dest_generation_new(r->job_dir, &st, r->id, gen) < 0) {
      failure_set(f, "destination", "%s: recording its generation: %s",
                  dst_path, strerror(errno));
      return -1;
    }
  }
  if (dst_uri && (!(dst = nbd_create()) ||
                  nbd_connect_uri(dst, dst_uri) < 0)) {
    uch_nbd_error(why, sizeof why);
    failure_set(f, "destination", "%s: through %s: %s", dst_path, dst_uri,
                why);
    goto out;
  }
  if (bitmap)
    snprintf(ctx, sizeof ctx, "qemu:dirty-bitmap:%s", bitmap);
  if (!(nbd = uch_nbd_connect(uri, bitmap, &cw, why, sizeof why))) {
    if (cw.stalled)
      failure_set(f, "timeout", "the source stalled: %s from %s; nothing "
                  "of this pass was written: submit the same request "
                  "again", why, uri);
    else
      failure_set(f, "source", "%s: %s", uri, why);
    goto out;
  }
  if ((size = nbd_get_size(nbd)) < 0) {
    uch_nbd_error(why, sizeof why);
    failure_set(f, "source", "%s: %s", uri, why);
    goto out;
  }
  io = (struct pass_io){ .nbd = nbd, .dst = dst, .r = r, .fd = fd,
                         .err = &err,
                         .dst_err = &dst_err, .since = time_monotonic(),
                         .stall_s = stall_timeout_s(),
                         .pace = { .file = rate_file } };
  {
    struct source_wait w = { .stall_s = io.stall_s, .stop = stop_pass,
                             .opaque = &io };
    if (changed_extents(nbd, changes, ctx, (uint64_t)size, &e, &w, f) < 0)
      goto out;
  }
  res->changed = e.allocated;
  runner_log(r, "disk %zu: pass over %llu changed bytes (%s)", disk + 1,
             (unsigned long long)e.allocated, bitmap ? ctx : "extent list");
  io.since = time_monotonic();
  for (size_t i = 0; i < e.n && !err && !r->kids.cancelled; i++)
    if (e.v[i].data &&
        pass_extent(&io, S_ISBLK(st.st_mode), &e.v[i], res) < 0 && !err)
      err = errno ? errno : EIO;
  if (!err && !r->kids.cancelled && pass_wait(&io, 1) < 0 && !err &&
      !r->kids.cancelled)
    err = errno ? errno : EIO;
  if (err || r->kids.cancelled) {
    /* docs/api.md: a read that fails is the source's, a write or a
     * zeroing the destination's, each naming its path */
    if (io.stalled)
      failure_set(f, "timeout", "the source stalled: nothing arrived from "
                  "it for %u s (stall_timeout) in a pass (source %s); "
                  "the destination holds the last whole pass and part of "
                  "this one: submit the same request again", io.stall_s, uri);
    else if (err && dst_err)
      failure_set(f, "destination", "%s: pass: writing: %s", dst_path,
                  strerror(err));
    else if (err)
      failure_set(f, "source", "%s: pass: reading: %s", uri,
                  nbd_get_error() ? nbd_get_error() : strerror(err));
    goto out;
  }
  if (dst ? nbd_flush(dst, 0) < 0 : fdatasync(fd) < 0) {
    if (dst)
      errno = nbd_get_errno() ? nbd_get_errno() : EIO;
    failure_set(f, "destination", "%s: flush: %s", dst_path,
                strerror(errno));
    goto out;
  }
  ret = 0;
out:
  extents_free(&e);
  uch_nbd_disconnect(nbd, ret == 0);
  if (dst) {
    if (nbd_aio_is_ready(dst))
      nbd_shutdown(dst, 0);
    nbd_close(dst);
  }
  return ret;
}

json_object *pass_result_json(const struct pass_result *p)
{
  json_object *o = json_object_new_object();

  json_object_object_add(o, "changed_bytes",
                         json_object_new_int64((int64_t)p->changed));
  json_object_object_add(o, "bytes_read",
                         json_object_new_int64((int64_t)p->read));
  json_object_object_add(o, "bytes_zeroed",
                         json_object_new_int64((int64_t)p->zeroed));
  return o;
}
