#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libnbd.h>

#include "cleanup.h"
#include "incremental.h"
#include "jsonutil.h"
#include "resumable.h"
#include "timeutil.h"

/* how much is queued between looks at the clock, the signals and the
 * progress */
#define STEP (8ULL << 20)
#define CHECKPOINT_SECONDS 1.0
/* like nbdcopy: 4 connections when the server allows several (one was
 * 1.6 times slower through nbdkit's nbd plugin), 8 reads of 1 MiB in
 * flight on each */
#define CONNS_MAX 4
#define SLOTS_PER_CONN 8
#define SLOTS (CONNS_MAX * SLOTS_PER_CONN)
#define SLOT_SIZE (1u << 20)

/* A read in flight and its buffer; buffers are allocated once, since a
 * fresh 1 MiB malloc per request (an mmap, then a page fault per page)
 * halved the speed. */
struct slot {
  struct copy_run *c;
  struct nbd_handle *nbd;
  char *buf;
  uint64_t off;
  size_t len;
  bool busy;
};

char *checkpoint_path(struct runner *r, size_t disk)
{
  char *p;
  return asprintf(&p, "%s/checkpoint-%zu.json", r->job_dir, disk) < 0 ? NULL
                                                                      : p;
}

/* What a checkpoint must match: the same destination (device number, or
 * file system and inode) and a source of the same size. */
static json_object *identity(const struct stat *st, uint64_t size)
{
  json_object *o = json_object_new_object();

  json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
  if (S_ISBLK(st->st_mode))
    json_object_object_add(o, "rdev",
                           json_object_new_int64((int64_t)st->st_rdev));
  else {
    json_object_object_add(o, "dev", json_object_new_int64((int64_t)st->st_dev));
    json_object_object_add(o, "ino", json_object_new_int64((int64_t)st->st_ino));
  }
  return o;
}

static uint64_t checkpoint_load(const char *path, json_object *want)
{
  _cleanup_json_ json_object *o = json_read_path(path);
  int64_t off;

  if (!o || !json_object_equal(json_get(o, "destination"), want))
    return 0;
  off = json_object_get_int64(json_get(o, "offset"));
  return off > 0 ? (uint64_t)off : 0;
}

static int checkpoint_save(const char *path, json_object *id, uint64_t off)
{
  _cleanup_json_ json_object *o = json_object_new_object();
  char now[RFC3339_LEN];

  time_rfc3339_now(now);
  json_object_object_add(o, "destination", json_object_get(id));
  json_object_object_add(o, "offset", json_object_new_int64((int64_t)off));
  json_object_object_add(o, "at", json_object_new_string(now));
  return json_write_path(path, o, 0644);
}

struct copy_run {
  struct slot slots[SLOTS];
  struct runner *r;
  size_t disk;
  const struct extents *e;
  struct nbd_handle *nbd[CONNS_MAX];
  size_t conns, nslots;
  int fd;
  bool is_block, is_zero;
  char *ckpt;
  json_object *id;
  uint64_t queued_to;       /* all below is read or zeroed, or in flight */
  uint64_t saved;           /* the last checkpoint's offset */
  double saved_at;
  int err;
  char why[256];            /* the first thing that went wrong */
};

static int dest_failed(struct copy_run *c, const char *what)
{
  c->err = errno ? errno : EIO;
  if (!c->why[0])
    snprintf(c->why, sizeof c->why, "destination: %s: %s", what,
             strerror(c->err));
  return -1;
}

static int slot_done(void *opaque, int *error)
{
  struct slot *s = opaque;
  struct copy_run *c = s->c;

  if (*error && !c->err) {
    c->err = *error;
    snprintf(c->why, sizeof c->why, "reading the source at %llu: %s",
             (unsigned long long)s->off, strerror(*error));
  } else if (!*error && pwrite(c->fd, s->buf, s->len, s->off) !=
           (ssize_t)s->len && !c->err)
    dest_failed(c, "write");
  s->busy = false;
  return 1;
}

static struct nbd_handle *connect_one(const char *uri)
{
  struct nbd_handle *nbd = nbd_create();

  if (nbd && (nbd_set_uri_allow_local_file(nbd, true) < 0 ||
              nbd_connect_uri(nbd, uri) < 0)) {
    nbd_close(nbd);
    return NULL;
  }
  return nbd;
}

static int connect_all(struct copy_run *c, const char *uri)
{
  if (!(c->nbd[0] = connect_one(uri)))
    return -1;
  c->conns = 1;
  if (nbd_can_multi_conn(c->nbd[0]) == 1)
    while (c->conns < CONNS_MAX && (c->nbd[c->conns] = connect_one(uri)))
      c->conns++;
  c->nslots = c->conns * SLOTS_PER_CONN;
  return 0;
}

/* libnbd's words for the first failure; later calls on a dead handle
 * only say "invalid state". */
static int nbd_failed(struct copy_run *c)
{
  if (!c->why[0])
    snprintf(c->why, sizeof c->why, "reading the source: %s",
             nbd_get_error() ? nbd_get_error() : strerror(errno));
  return -1;
}

/* One round of I/O on every connection. */
static int poll_conns(struct copy_run *c)
{
  struct pollfd fds[CONNS_MAX];

  for (size_t i = 0; i < c->conns; i++) {
    unsigned dir = nbd_aio_get_direction(c->nbd[i]);
    fds[i].fd = nbd_aio_get_fd(c->nbd[i]);
    fds[i].events = ((dir & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
                    ((dir & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
    fds[i].revents = 0;
    if (fds[i].fd < 0)
      return -1;
  }
  if (poll(fds, c->conns, -1) < 0)
    return errno == EINTR ? 0 : -1;
  for (size_t i = 0; i < c->conns; i++) {
    if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
        nbd_aio_notify_read(c->nbd[i]) < 0)
      return nbd_failed(c);
    if ((fds[i].revents & POLLOUT) && nbd_aio_notify_write(c->nbd[i]) < 0)
      return nbd_failed(c);
  }
  return 0;
}

static bool busy(const struct copy_run *c)
{
  for (size_t i = 0; i < c->nslots; i++)
    if (c->slots[i].busy)
      return true;
  return false;
}

static int maybe_checkpoint(struct copy_run *c);

static int drain(struct copy_run *c)
{
  while (!c->err && busy(c))
    if (poll_conns(c) < 0 || maybe_checkpoint(c) < 0)
      return -1;
  return 0;
}

/* Slots go round the connections, so consecutive reads spread. */
static struct slot *free_slot(struct copy_run *c)
{
  for (;;) {
    for (size_t i = 0; i < c->nslots; i++)
      if (!c->slots[i].busy)
        return &c->slots[i];
    if (poll_conns(c) < 0 || maybe_checkpoint(c) < 0)
      return NULL;
  }
}

/* Queues reads of [off, off+len); returns with the last in flight. */
static int read_range(struct copy_run *c, uint64_t off, uint64_t len)
{
  uint64_t end = off + len;

  while (off < end && !c->err) {
    struct slot *s = free_slot(c);
    if (!s)
      return -1;
    *s = (struct slot){ c, s->nbd, s->buf, off,
                        end - off < SLOT_SIZE ? end - off : SLOT_SIZE, true };
    nbd_completion_callback cb = { .callback = slot_done, .user_data = s };
    if (nbd_aio_pread(s->nbd, s->buf, s->len, off, cb, 0) < 0) {
      s->busy = false;
      return nbd_failed(c);
    }
    off += s->len;
    c->queued_to = off;
  }
  return c->err ? -1 : 0;
}

/* The end: everything written and flushed, `pos` the checkpoint. */
static int checkpoint(struct copy_run *c, uint64_t pos)
{
  if (drain(c) < 0 && !c->err)
    c->err = errno ? errno : EIO;
  if (c->err)
    return -1;
  if (fdatasync(c->fd) < 0)
    return dest_failed(c, "flush");
  if (checkpoint_save(c->ckpt, c->id, pos) < 0)
    runner_log(c->r, "disk %zu: checkpoint: %s", c->disk + 1,
               strerror(errno));
  c->saved = pos;
  c->saved_at = time_monotonic();
  return 0;
}

static void progress(struct copy_run *c, uint64_t pos);

/* Below the lowest read still in flight everything is written. */
static uint64_t written_below(const struct copy_run *c)
{
  uint64_t w = c->queued_to;

  for (size_t i = 0; i < c->nslots; i++)
    if (c->slots[i].busy && c->slots[i].off < w)
      w = c->slots[i].off;
  return w;
}

/* About once a second: flush, then record what the flush made durable
 * (without waiting for the reads in flight). */
static int maybe_checkpoint(struct copy_run *c)
{
  uint64_t w;

  if (time_monotonic() - c->saved_at < CHECKPOINT_SECONDS)
    return 0;
  c->saved_at = time_monotonic();
  /* a cancel is seen here too, not only between disks */
  children_poll(&c->r->kids, -1, 0);
  w = written_below(c);
  if (w <= c->saved)
    return 0;
  if (fdatasync(c->fd) < 0)
    return dest_failed(c, "flush");
  if (checkpoint_save(c->ckpt, c->id, w) < 0)
    runner_log(c->r, "disk %zu: checkpoint: %s", c->disk + 1,
               strerror(errno));
  c->saved = w;
  progress(c, w);
  return 0;
}

static void progress(struct copy_run *c, uint64_t pos)
{
  uint64_t done = extents_data_below(c->e, pos);
  double pct = c->e->allocated ? 100.0 * (double)done / c->e->allocated
                               : 100;
  runner_disk_progress(c->r, c->disk, pct, done, c->e->allocated);
}

/* [off, off+len) of one extent, from the checkpoint on. */
static int copy_extent(struct copy_run *c, const struct extent *x,
                       uint64_t from, uint64_t *copied)
{
  uint64_t end = x->offset + x->length;

  for (uint64_t off = from; off < end && !c->r->kids.cancelled;) {
    uint64_t n = end - off < STEP ? end - off : STEP;
    if (x->data) {
      if (read_range(c, off, n) < 0) {
        if (!c->err)
          c->err = errno ? errno : EIO;
        return -1;
      }
      *copied += n;
    } else if (!c->is_zero && zero_range(c->fd, c->is_block, off, n) < 0)
      return dest_failed(c, "zeroing");
    off += n;
    if (!x->data)
      c->queued_to = off;
    if (c->err || maybe_checkpoint(c) < 0)
      return -1;
  }
  return 0;
}

int resumable_copy(struct runner *r, size_t disk, const char *uri,
                   const struct extents *e, const char *dst_path,
                   bool is_zero, struct resumable_result *res,
                   struct job_failure *f)
{
  _cleanup_close_ int fd = open(dst_path, O_WRONLY | O_CLOEXEC);
  _cleanup_free_ char *ckpt = checkpoint_path(r, disk);
  _cleanup_json_ json_object *id = NULL;
  struct copy_run c = { .r = r, .disk = disk, .e = e, .fd = -1 };
  struct stat st;
  uint64_t start;
  int ret = -1;

  memset(res, 0, sizeof *res);
  if (fd < 0 || fstat(fd, &st) < 0 || !ckpt) {
    failure_set(f, "destination", "%s: %s", dst_path, strerror(errno));
    return -1;
  }
  id = identity(&st, e->size);
  start = checkpoint_load(ckpt, id);
  if (start > e->size)
    start = 0;
  if (start > 0)
    runner_log(r, "disk %zu: resuming at offset %llu (%llu of %llu data "
               "bytes are there)", disk + 1, (unsigned long long)start,
               (unsigned long long)extents_data_below(e, start),
               (unsigned long long)e->allocated);
  c = (struct copy_run){ .r = r, .disk = disk, .e = e, .fd = fd,
                         .is_block = S_ISBLK(st.st_mode), .is_zero = is_zero,
                         .ckpt = ckpt, .id = id, .saved = start,
                         .queued_to = start,
                         .saved_at = time_monotonic() };
  res->resumed_from = start;
  if (connect_all(&c, uri) < 0) {
    failure_set(f, "source", "%s: %s", uri,
                nbd_get_error() ? nbd_get_error() : strerror(errno));
    goto out;
  }
  for (size_t i = 0; i < c.nslots; i++) {
    c.slots[i].nbd = c.nbd[i % c.conns];
    if (!(c.slots[i].buf = malloc(SLOT_SIZE))) {
      failure_set(f, "internal", "out of memory");
      goto out;
    }
  }
  runner_log(r, "disk %zu: copying from offset %llu over %zu connection%s%s",
             disk + 1, (unsigned long long)start, c.conns,
             c.conns == 1 ? "" : "s",
             is_zero ? ", the destination is zero (holes not written)" : "");
  progress(&c, start);
  for (size_t i = 0; i < e->n && !r->kids.cancelled && !c.err; i++) {
    const struct extent *x = &e->v[i];
    if (x->offset + x->length <= start)
      continue;
    if (copy_extent(&c, x, x->offset > start ? x->offset : start,
                    &res->copied) < 0 && !c.err)
      c.err = errno ? errno : EIO;
  }
  if (!c.err && !r->kids.cancelled && checkpoint(&c, e->size) < 0 && !c.err)
    c.err = EIO;
  if (c.err || r->kids.cancelled) {
    if (c.err)
      failure_set(f, "copy_failed", "%s", c.why[0] ? c.why : strerror(c.err));
    goto out;
  }
  progress(&c, e->size);
  ret = 0;
out:
  for (size_t i = 0; i < c.conns; i++) {
    nbd_shutdown(c.nbd[i], 0);
    nbd_close(c.nbd[i]);
  }
  for (size_t i = 0; i < SLOTS; i++)
    free(c.slots[i].buf);
  return ret;
}
