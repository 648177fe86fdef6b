/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "runner/children.h"
#include "transfer/digest.h"
#include "util/cleanup.h"

#define DIGEST_THREADS_MAX 4
#define READ_SIZE (1u << 20)

int digest_cut(const struct extents *e, uint64_t chunk,
               struct digest_piece **out, size_t *n)
{
  struct digest_piece *v = NULL, cur = { 0 };
  size_t k = 0, cap = 0;
  uint64_t room = 0;        /* data the current piece still takes */
  bool have = false;

  *out = NULL;
  *n = 0;
  for (size_t i = 0; i <= e->n; i++) {
    uint64_t off = i < e->n ? e->v[i].offset : 0;
    uint64_t end = i < e->n ? off + e->v[i].length : 0;
    if (i < e->n && !e->v[i].data)
      continue;
    while (off < end || (i == e->n && have)) {
      if (!have) {
        cur = (struct digest_piece){ .offset = off, .first = i };
        room = chunk;
        have = true;
      }
      if (off < end) {
        uint64_t take = end - off < room ? end - off : room;
        off += take;
        room -= take;
        cur.length = off - cur.offset;
      }
      if (room > 0 && i < e->n)
        continue;
      if (k == cap) {
        struct digest_piece *w;
        cap = cap ? 2 * cap : 64;
        if (!(w = realloc(v, cap * sizeof *v))) {
          free(v);
          return -1;
        }
        v = w;
      }
      v[k++] = cur;
      have = false;
    }
  }
  *out = v;
  *n = k;
  return 0;
}

void digest_place(const struct extents *e, struct digest_piece *p, size_t n)
{
  size_t j = 0;

  for (size_t i = 0; i < n; i++) {
    while (j < e->n && e->v[j].offset + e->v[j].length <= p[i].offset)
      j++;
    p[i].first = j;
  }
}

int64_t digest_fd_size(int fd)
{
  struct stat st;
  uint64_t size;

  if (fstat(fd, &st) < 0)
    return -1;
  if (!S_ISBLK(st.st_mode))
    return st.st_size;
  if (ioctl(fd, BLKGETSIZE64, &size) < 0)
    return -1;
  return (int64_t)size;
}

/* What the threads share. */
struct digest_work {
  int fd;
  const struct extents *e;
  struct digest_piece *p;
  size_t n;
  atomic_size_t next;       /* the next piece nobody took */
  atomic_bool stop;         /* a cancel, or another thread's error */
  int done_fd;              /* eventfd: a thread ended */
  pthread_mutex_t lock;
  int err;                  /* the first error, under lock */
  size_t failed;            /* its piece */
};

/* [off, end) of the disk into the hash. */
static int hash_range(struct digest_work *w, gnutls_hash_hd_t h,
                      uint64_t off, uint64_t end, char *buf)
{
  while (off < end && !atomic_load(&w->stop)) {
    size_t want = end - off < READ_SIZE ? (size_t)(end - off) : READ_SIZE;
    ssize_t got = pread(w->fd, buf, want, (off_t)off);
    if (got <= 0) {
      if (got == 0)
        errno = EIO;        /* shorter than the piece says */
      return -1;
    }
    gnutls_hash(h, buf, (size_t)got);
    off += (uint64_t)got;
  }
  return 0;
}

static int piece_hash(struct digest_work *w, struct digest_piece *pc,
                      char *buf)
{
  static const char hex[] = "0123456789abcdef";
  const struct extents *e = w->e;
  uint64_t end = pc->offset + pc->length;
  unsigned char md[32];
  gnutls_hash_hd_t h;

  if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
    errno = ENOMEM;
    return -1;
  }
  /* the data extents' bytes inside the window, in order */
  for (size_t i = pc->first; i < e->n && e->v[i].offset < end; i++) {
    uint64_t a = e->v[i].offset, b = a + e->v[i].length;
    if (!e->v[i].data)
      continue;
    if (a < pc->offset)
      a = pc->offset;
    if (b > end)
      b = end;
    if (a < b && hash_range(w, h, a, b, buf) < 0) {
      int err = errno;
      gnutls_hash_deinit(h, md);
      errno = err;
      return -1;
    }
  }
  gnutls_hash_deinit(h, md);
  for (size_t i = 0; i < sizeof md; i++) {
    pc->sha256[2 * i] = hex[md[i] >> 4];
    pc->sha256[2 * i + 1] = hex[md[i] & 15];
  }
  pc->sha256[DIGEST_HEX_LEN] = '\0';
  return 0;
}

static void *digest_thread(void *opaque)
{
  struct digest_work *w = opaque;
  char *buf = malloc(READ_SIZE);
  uint64_t one = 1;

  while (buf && !atomic_load(&w->stop)) {
    size_t i = atomic_fetch_add(&w->next, 1);
    if (i >= w->n)
      break;
    if (piece_hash(w, &w->p[i], buf) < 0) {
      int e = errno;
      pthread_mutex_lock(&w->lock);
      if (!w->err) {
        w->err = e;
        w->failed = i;
      }
      pthread_mutex_unlock(&w->lock);
      atomic_store(&w->stop, true);
    }
  }
  if (!buf) {
    pthread_mutex_lock(&w->lock);
    if (!w->err)
      w->err = ENOMEM, w->failed = 0;
    pthread_mutex_unlock(&w->lock);
    atomic_store(&w->stop, true);
  }
  free(buf);
  if (write(w->done_fd, &one, sizeof one) < 0) {
    /* the main thread also polls with a timeout */
  }
  return NULL;
}

int digest_compute(struct runner *r, int fd, const struct extents *e,
                   struct digest_piece *p, size_t n, unsigned threads,
                   size_t *failed)
{
  struct digest_work w = { .fd = fd, .e = e, .p = p, .n = n,
                           .lock = PTHREAD_MUTEX_INITIALIZER };
  pthread_t tid[DIGEST_THREADS_MAX];
  unsigned started = 0, ended = 0;
  int err = 0;

  if (threads == 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cpus > 0 ? (unsigned)cpus : 1;
  }
  if (threads > DIGEST_THREADS_MAX)
    threads = DIGEST_THREADS_MAX;
  if (threads > n)
    threads = n ? (unsigned)n : 1;
  if ((w.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
    return -1;
  atomic_init(&w.next, 0);
  atomic_init(&w.stop, false);
  for (; started < threads; started++)
    if ((err = pthread_create(&tid[started], NULL, digest_thread, &w))) {
      atomic_store(&w.stop, true);
      break;
    }
  while (ended < started) {
    uint64_t v;
    /* signals (a cancel) between, a thread's end wakes it */
    if (children_poll(&r->kids, w.done_fd, 1000) > 0 &&
        read(w.done_fd, &v, sizeof v) == sizeof v)
      ended += (unsigned)v;
    if (r->kids.cancelled)
      atomic_store(&w.stop, true);
  }
  for (unsigned i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  close(w.done_fd);
  if (r->kids.cancelled)
    return -1;
  if (err || w.err) {
    *failed = w.failed;
    errno = err ? err : w.err;
    return -1;
  }
  return 0;
}

json_object *digest_json(const struct digest_piece *p, size_t n,
                         uint64_t chunk)
{
  json_object *o = json_object_new_object();
  json_object *list = json_object_new_array_ext((int)n);

  json_object_object_add(o, "algorithm", json_object_new_string("sha256"));
  json_object_object_add(o, "chunk_bytes",
                         json_object_new_int64((int64_t)chunk));
  for (size_t i = 0; i < n; i++) {
    json_object *t = json_object_new_array_ext(3);
    json_object_array_add(t, json_object_new_int64((int64_t)p[i].offset));
    json_object_array_add(t, json_object_new_int64((int64_t)p[i].length));
    json_object_array_add(t, json_object_new_string(p[i].sha256));
    json_object_array_add(list, t);
  }
  json_object_object_add(o, "extents", list);
  return o;
}
