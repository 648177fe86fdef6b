/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libnbd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "runner/tools.h"
#include "transfer/dest-generation.h"
#include "transfer/endpoint.h"
#include "transfer/incremental.h"
#include "transfer/link-sizing.h"
#include "transfer/nbd-connect.h"
#include "transfer/rate-window.h"
#include "transfer/resumable.h"
#include "transfer/tool-argv.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"

/* Like nbdcopy: up to 4 connections (when the server allows several),
 * each with a thread of its own (one thread doing every read and write
 * was 1.5 times slower than nbdcopy on a loaded machine), 8 reads of
 * 1 MiB in flight on each, into buffers allocated once (a malloc per
 * read, an mmap and a page fault per page, halved the speed). */
#define CONNS_LAN 4
/* across a network, transfer/link-sizing.h sizes connections and reads */
#define CONNS_MAX LINK_CONNS_MAX
#define SLOTS 8
#define SLOT_SIZE (1u << 20)
/* the unit of work a thread takes: data in 8 MiB pieces, holes in 1 GiB */
#define DATA_CHUNK (8ULL << 20)
#define HOLE_CHUNK (1ULL << 30)
#define CHECKPOINT_MS 1000

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

/* What a checkpoint says of the destination beyond its identity: the
 * generation of the destination when it was made (dest-generation.h:
 * no other job wrote it since) and a SHA-256 of up to SAMPLES windows of
 * SAMPLE_LEN bytes spread over the data below the offset, read back
 * from the destination after its flush (a writer outside UCH changed
 * what a resume would keep). */
#define SAMPLES 16
#define SAMPLE_LEN (64 * 1024)

struct samples {
  size_t n;
  uint64_t off[SAMPLES], len[SAMPLES];
};

static void samples_pick(const struct extents *e, uint64_t w,
                         struct samples *sm)
{
  uint64_t data = extents_data_below(e, w);

  sm->n = 0;
  for (size_t k = 0; data && k < SAMPLES; k++) {
    uint64_t target = data / (2 * SAMPLES) * (2 * k + 1), acc = 0;
    for (size_t i = 0; i < e->n; i++) {
      const struct extent *x = &e->v[i];
      uint64_t l;
      if (!x->data || x->offset >= w)
        continue;
      l = x->offset + x->length > w ? w - x->offset : x->length;
      if (target < acc + l) {
        uint64_t o = x->offset + (target - acc);
        uint64_t n = x->offset + l - o;
        sm->off[sm->n] = o;
        sm->len[sm->n] = n < SAMPLE_LEN ? n : SAMPLE_LEN;
        sm->n++;
        break;
      }
      acc += l;
    }
  }
}

/* hex SHA-256 of the samples as the destination holds them */
static int samples_digest(int fd, const struct samples *sm,
                          char hex[2 * 32 + 1])
{
  _cleanup_free_ char *buf = malloc(SAMPLE_LEN);
  gnutls_hash_hd_t h;
  unsigned char out[32];
  int ret = -1;

  if (!buf || gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
    return -1;
  for (size_t i = 0; i < sm->n; i++) {
    ssize_t got = pread(fd, buf, sm->len[i], (off_t)sm->off[i]);
    if (got != (ssize_t)sm->len[i]) {
      if (got >= 0)
        errno = EIO;
      goto out;
    }
    gnutls_hash(h, buf, sm->len[i]);
  }
  ret = 0;
out:
  gnutls_hash_deinit(h, out);
  for (size_t i = 0; i < sizeof out; i++)
    snprintf(hex + 2 * i, 3, "%02x", out[i]);
  return ret;
}

/* The offset to resume at: 0 unless the checkpoint names this same
 * destination, of a source of the same size, at the destination's
 * current generation, and the destination still holds what the
 * checkpoint's digest says.  *why says why not, for the log. */
static uint64_t checkpoint_load(const char *path, json_object *want,
                                const char *gen, int rfd, char *why,
                                size_t why_len)
{
  _cleanup_json_ json_object *o = json_read_path(path);
  json_object *v = json_get(o, "samples");
  const char *g = json_get_string(o, "generation");
  const char *dg = json_get_string(o, "digest");
  struct samples sm = { 0 };
  char hex[2 * 32 + 1];
  int64_t off;

  *why = '\0';
  if (!o || !json_object_equal(json_get(o, "destination"), want))
    return 0;
  off = json_object_get_int64(json_get(o, "offset"));
  if (off <= 0)
    return 0;
  if (!g || !gen || strcmp(g, gen) != 0) {
    snprintf(why, why_len, "another job wrote the destination since the "
             "checkpoint (its generation is not the checkpoint's)");
    return 0;
  }
  if (!dg || !v || !json_object_is_type(v, json_type_array) ||
      json_object_array_length(v) > SAMPLES) {
    snprintf(why, why_len, "the checkpoint has no digest of the destination");
    return 0;
  }
  for (size_t i = 0; i < json_object_array_length(v); i++) {
    json_object *p = json_object_array_get_idx(v, i);
    sm.off[i] = (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 0));
    sm.len[i] = (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 1));
    if (sm.len[i] == 0 || sm.len[i] > SAMPLE_LEN)
      return 0;
    sm.n++;
  }
  if (samples_digest(rfd, &sm, hex) < 0 || strcmp(hex, dg) != 0) {
    snprintf(why, why_len, "the destination no longer holds what the "
             "checkpoint recorded (another writer changed it)");
    return 0;
  }
  return (uint64_t)off;
}

static int checkpoint_save(const char *path, json_object *id, uint64_t off,
                           const char *gen, const struct samples *sm,
                           const char *digest)
{
  _cleanup_json_ json_object *o = json_object_new_object();
  json_object *v = json_object_new_array();
  char now[RFC3339_LEN];

  time_rfc3339_now(now);
  for (size_t i = 0; i < sm->n; i++) {
    json_object *p = json_object_new_array();
    json_object_array_add(p, json_object_new_int64((int64_t)sm->off[i]));
    json_object_array_add(p, json_object_new_int64((int64_t)sm->len[i]));
    json_object_array_add(v, p);
  }
  json_object_object_add(o, "destination", json_object_get(id));
  json_object_object_add(o, "offset", json_object_new_int64((int64_t)off));
  json_object_object_add(o, "generation", json_object_new_string(gen));
  json_object_object_add(o, "samples", v);
  if (digest)               /* without one, never resumed from */
    json_object_object_add(o, "digest", json_object_new_string(digest));
  json_object_object_add(o, "at", json_object_new_string(now));
  return json_write_path(path, o, 0644);
}

struct chunk {
  uint64_t off, len;
  bool data;
};

/* What the threads share; everything below `lock` is under it. */
struct copy_run {
  int fd;                   /* the raw destination, or -1 (conn.dst) */
  bool is_block, is_zero;
  int done_fd;              /* eventfd: a thread ended */
  uint64_t size;
  size_t window;            /* bytes in flight per connection (atomic) */
  size_t slots;             /* reads queued per connection */
  size_t slot_size;         /* bytes a read */
  pthread_mutex_t lock;
  struct chunk *v;
  size_t n, next;           /* chunks, and the first nobody took */
  uint64_t busy[CONNS_MAX]; /* offset of each thread's chunk, or size */
  size_t running;           /* threads not ended yet */
  uint64_t copied;
  uint64_t completions;     /* reads and zeroings done (atomic): a stall
                             * is none for stall_s seconds */
  bool stop;
  int err;
  char why[256];            /* the first thing that went wrong */
  /* a network source, read directly (no nbdkit in between): its URI,
   * which a connection that failed connects to again (reconnect), and
   * the bandwidth limit, which the connections keep to together */
  const char *uri;
  bool direct;
  uint64_t rate_bits;       /* bits/s, 0 none (atomic; from the rate file) */
  struct rate_bucket rate;  /* the pace (under lock) */
  unsigned reconnects;      /* made (atomic), for the log */
};

struct conn;
/* what a read's completion needs to know */
struct slot_ref {
  struct conn *k;
  size_t i;
};

struct conn {
  struct copy_run *c;
  struct slot_ref ref[SLOTS];
  size_t idx;
  struct nbd_handle *nbd;
  struct nbd_handle *dst;   /* its connection to dst_uri, or NULL */
  char *buf[SLOTS];
  bool in_flight[SLOTS];
  size_t in_flight_bytes;
  uint64_t slot_off[SLOTS];
  size_t slot_len[SLOTS];
  int err;                  /* this thread's first error */
  bool src_err;             /* ... was reading the source */
  char why[256];
  bool cut;                 /* its chunk was left unfinished (error, stop) */
  uint64_t wb_off, wb_len;  /* its last chunk, whose writeback is to start */
};

static void fail(struct conn *k, int err, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static void fail(struct conn *k, int err, const char *fmt, ...)
{
  va_list ap;

  if (k->err)
    return;
  k->err = err ? err : EIO;
  va_start(ap, fmt);
  vsnprintf(k->why, sizeof k->why, fmt, ap);
  va_end(ap);
}

static void read_failed(struct conn *k)
{
  if (!k->err)
    k->src_err = true;
  fail(k, errno, "reading the source: %s",
       nbd_get_error() ? nbd_get_error() : strerror(errno ? errno : EIO));
}

/* A write into the destination server (another handle than the one
 * whose completion calls it, so libnbd allows it). */
static void write_nbd(struct conn *k, size_t i)
{
  if (nbd_pwrite(k->dst, k->buf[i], k->slot_len[i], k->slot_off[i], 0) < 0)
    fail(k, nbd_get_errno(), "destination: write: %s",
         nbd_get_error() ? nbd_get_error() : strerror(EIO));
}

static int slot_done(void *opaque, int *error)
{
  struct slot_ref *ref = opaque;
  struct conn *k = ref->k;
  size_t i = ref->i;

  if (*error) {
    if (!k->err)
      k->src_err = true;
    fail(k, *error, "reading the source at %llu: %s",
         (unsigned long long)k->slot_off[i], strerror(*error));
  }
  else if (k->dst)
    write_nbd(k, i);
  else if (pwrite(k->c->fd, k->buf[i], k->slot_len[i], k->slot_off[i]) !=
           (ssize_t)k->slot_len[i])
    fail(k, errno, "destination: write: %s", strerror(errno ? errno : EIO));
  k->in_flight[i] = false;
  k->in_flight_bytes -= k->slot_len[i];
  __atomic_add_fetch(&k->c->completions, 1, __ATOMIC_RELAXED);
  return 1;
}

static bool stopping(struct copy_run *c)
{
  return __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
}

static void stop(struct copy_run *c)
{
  __atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
}

static bool any_in_flight(const struct conn *k)
{
  for (size_t i = 0; i < k->c->slots; i++)
    if (k->in_flight[i])
      return true;
  return false;
}

/* A chunk written into a raw destination goes to its disk at once,
 * without waiting for it: the page cache held the whole copy until the
 * end, where the last fdatasync wrote it (0.45 to 0.5 s for 1 GiB here,
 * a third of the copy, after the last byte had arrived; and each
 * checkpoint's fdatasync wrote a second's worth).  Started as the copy
 * goes, the disk writes meanwhile and the flushes find little left
 * (bench/README.md, "2026-12-06, seventh session").  It is started once
 * the next chunk's reads are on their way, so that the connection is
 * not idle while the writeback is queued.  Not a flush: the
 * checkpoints' fdatasync still says what is durable; a failure here (a
 * file system without it) leaves the writing to them. */
static void writeback_start(struct conn *k)
{
  if (k->c->fd >= 0 && k->wb_len > 0)
    sync_file_range(k->c->fd, (off_t)k->wb_off, (off_t)k->wb_len,
                    SYNC_FILE_RANGE_WRITE);
  k->wb_len = 0;
}

/* A network source read directly keeps to the job's bandwidth limit
 * (limits.bandwidth, which PATCH /v1/jobs/{id} changes by rewriting
 * the rate file; supervise() reads it about once a second): its
 * connections share one rate_bucket.  A connection waiting asks again
 * every 10 ms or sooner at the limit of the moment, so a new limit
 * shows at once, not after the reads already queued at the old one (a
 * schedule made ahead kept a PATCH from 16M to 200M waiting for
 * seconds).  The wait lets this connection's reads in flight complete
 * meanwhile; a stop ends it. */
static int pace(struct conn *k, size_t n)
{
  struct copy_run *c = k->c;

  if (!c->direct)
    return 0;
  for (;;) {
    uint64_t bits = __atomic_load_n(&c->rate_bits, __ATOMIC_RELAXED);
    double wait;

    pthread_mutex_lock(&c->lock);
    wait = rate_bucket_take(&c->rate, bits, n, time_monotonic());
    pthread_mutex_unlock(&c->lock);
    if (wait == 0)
      return 0;
    if (stopping(c))
      return -1;
    if (uch_nbd_wait_turn(k->nbd, wait) < 0) {
      read_failed(k);
      return -1;
    }
  }
}

/* Reads [off, off+len) with up to SLOTS reads in flight, and waits for
 * all of them.  A stop (cancel, another thread's error) abandons the
 * chunk at once, reads in flight and all: on a slow link they would
 * hold a cancel up for many seconds, and nbd_close() drops them (the
 * buffers are freed only after it). */
static int copy_data(struct conn *k, uint64_t off, uint64_t len)
{
  uint64_t end = off + len;

  while ((off < end || any_in_flight(k)) && !k->err) {
    size_t window = __atomic_load_n(&k->c->window, __ATOMIC_RELAXED);
    if (stopping(k->c)) {
      k->cut = true;
      return -1;
    }
    for (size_t i = 0; off < end && i < k->c->slots; i++) {
      size_t n = window < k->c->slot_size ? window : k->c->slot_size;
      if (end - off < n)
        n = end - off;
      if (k->in_flight[i])
        continue;
      if (k->in_flight_bytes > 0 && k->in_flight_bytes + n > window)
        break;
      if (pace(k, n) < 0) {
        k->cut = true;
        return -1;
      }
      k->slot_off[i] = off;
      k->slot_len[i] = n;
      k->in_flight[i] = true;
      k->in_flight_bytes += n;
      nbd_completion_callback cb = { .callback = slot_done,
                                     .user_data = &k->ref[i] };
      if (nbd_aio_pread(k->nbd, k->buf[i], k->slot_len[i], off, cb, 0) < 0) {
        k->in_flight[i] = false;
        k->in_flight_bytes -= n;
        read_failed(k);
        return -1;
      }
      off += k->slot_len[i];
    }
    writeback_start(k);           /* the last chunk's, if any */
    if (any_in_flight(k) && nbd_poll(k->nbd, 200) < 0) {
      read_failed(k);
      return -1;
    }
  }
  return k->err ? -1 : 0;
}

/* stopping() as a source_wait's stop */
static bool run_stopping(void *opaque)
{
  return stopping(opaque);
}

/* A network source read directly survives short outages as nbdkit's
 * reconnect filter (filters/reconnect.c) made it: after a failed read
 * the connection connects again on uch_nbd_reconnect()'s schedule and
 * reads the chunk again from its start, up to SOURCE_RETRIES times a
 * chunk.  Each connection recovers on its own (the others, on the same
 * dead server, fail and wait alike).  0: connected again, k->err
 * cleared; -1: k->err stays (with the retries said), or a stop. */
static int reconnect(struct conn *k, struct uch_nbd_retry *a)
{
  struct copy_run *c = k->c;
  struct source_wait w = { .stall_s = stall_timeout_s(),
                           .stop = run_stopping, .opaque = c };
  unsigned made = a->made;
  char why[200];
  int rc;

  if (!c->direct || !k->src_err || stopping(c))
    return -1;
  memset(k->in_flight, 0, sizeof k->in_flight);
  k->in_flight_bytes = 0;
  rc = uch_nbd_reconnect(&k->nbd, c->uri, c->size, a, &w, why, sizeof why);
  __atomic_add_fetch(&c->reconnects, a->made - made, __ATOMIC_RELAXED);
  if (rc < 0) {
    size_t l = strlen(k->why);
    if (why[0])
      snprintf(k->why, sizeof k->why, "reading the source: %s", why);
    else if (!w.stopped)
      snprintf(k->why + l, sizeof k->why - l, " (after %u reconnects)",
               SOURCE_RETRIES);
    return -1;
  }
  k->err = 0;
  k->src_err = false;
  k->cut = false;
  k->why[0] = '\0';
  return 0;
}

static void *conn_thread(void *opaque)
{
  struct conn *k = opaque;
  struct copy_run *c = k->c;
  uint64_t one = 1;

  for (;;) {
    struct chunk ch;
    pthread_mutex_lock(&c->lock);
    c->busy[k->idx] = c->size;
    if (stopping(c) || c->next == c->n) {
      pthread_mutex_unlock(&c->lock);
      break;
    }
    ch = c->v[c->next++];
    c->busy[k->idx] = ch.off;
    pthread_mutex_unlock(&c->lock);
    if (ch.data) {
      struct uch_nbd_retry a = { 0 };
      int rc;
      while ((rc = copy_data(k, ch.off, ch.len)) < 0 &&
             reconnect(k, &a) == 0)
        ;                       /* the chunk again, on a new connection */
      if (rc == 0) {
        k->wb_off = ch.off;
        k->wb_len = ch.len;
      }
    } else {
      writeback_start(k);
      if (!c->is_zero &&
          (k->dst ? zero_range_nbd(k->dst, ch.off, ch.len)
                  : zero_range(c->fd, c->is_block, ch.off, ch.len)) < 0)
        fail(k, errno, "destination: zeroing: %s", strerror(errno));
      else
        __atomic_add_fetch(&c->completions, 1, __ATOMIC_RELAXED);
    }
    if (k->err)
      k->cut = true;
    pthread_mutex_lock(&c->lock);
    if (k->err) {
      if (!c->err) {
        c->err = k->err;
        memcpy(c->why, k->why, sizeof c->why);
      }
      stop(c);
    } else if (ch.data && !k->cut)
      c->copied += ch.len;
    pthread_mutex_unlock(&c->lock);
    /* an unfinished chunk stays "busy" for good, so no checkpoint can
     * ever pass it */
    if (k->cut)
      break;
  }
  writeback_start(k);
  pthread_mutex_lock(&c->lock);
  c->running--;
  pthread_mutex_unlock(&c->lock);
  if (write(c->done_fd, &one, sizeof one) < 0)
    return NULL;
  return NULL;
}

/* The chunks from `start` on, in order. */
static int plan(struct copy_run *c, const struct extents *e, uint64_t start)
{
  size_t cap = 0;

  for (size_t i = 0; i < e->n; i++) {
    const struct extent *x = &e->v[i];
    uint64_t end = x->offset + x->length;
    uint64_t step = x->data ? DATA_CHUNK : HOLE_CHUNK;
    for (uint64_t off = x->offset > start ? x->offset : start; off < end;) {
      uint64_t n = end - off < step ? end - off : step;
      if (c->n == cap) {
        struct chunk *v = realloc(c->v, (cap = cap ? cap * 2 : 256) *
                                        sizeof *v);
        if (!v)
          return -1;
        c->v = v;
      }
      c->v[c->n++] = (struct chunk){ off, n, x->data };
      off += n;
    }
  }
  return 0;
}

/* Everything below it is written: the lowest chunk a thread works on,
 * or the first one nobody took. */
static uint64_t written_below(struct copy_run *c)
{
  uint64_t w;

  pthread_mutex_lock(&c->lock);
  w = c->next < c->n ? c->v[c->next].off : c->size;
  for (size_t i = 0; i < CONNS_MAX; i++)
    if (c->busy[i] < w)
      w = c->busy[i];
  pthread_mutex_unlock(&c->lock);
  return w;
}

struct disk_run {
  struct runner *r;
  size_t disk;
  const struct extents *e;
  const char *ckpt;
  json_object *id;
  uint64_t saved;
  const char *rate_file;
  size_t conns;
  int rfd;                  /* the destination, read-only, for digests */
  const char *gen;          /* the destination's generation */
  unsigned stall_s;
  /* bench/digest only (UCH_BENCH_NO_DIGEST=1): checkpoints without a
   * digest, so never resumed from, to measure what the digest costs */
  bool no_digest;
  unsigned digests;         /* made, and the seconds they took */
  double digest_s;
  const struct link_sizing *sz;  /* across a network, else NULL */
};

static void window_update(struct disk_run *d, struct copy_run *c)
{
  size_t max = c->slots * c->slot_size;
  uint64_t bits = rate_file_bits(d->rate_file);
  size_t w = inflight_window(bits, d->conns, max);

  __atomic_store_n(&c->rate_bits, bits, __ATOMIC_RELAXED);

  /* a quarter second at the limit may be less than the link needs:
   * each connection carries its share of twice its bandwidth-delay
   * product in whole reads, and one read more (the one arriving while
   * the others cross), as link-sizing.h sized it: a connection holds
   * a read only if it fits the window, so 1.6 MB of window was one
   * read of 1 MiB */
  if (d->sz && d->conns) {
    uint64_t slot = c->slot_size;
    uint64_t need = (2 * d->sz->bdp / d->conns + slot - 1) / slot * slot +
                    slot;
    if (need > max)
      need = max;
    if (need > w)
      w = (size_t)need;
  }
  __atomic_store_n(&c->window, w, __ATOMIC_RELAXED);
}

static void progress(struct disk_run *d, uint64_t pos)
{
  uint64_t done = extents_data_below(d->e, pos);
  double pct = d->e->allocated ? 100.0 * (double)done / d->e->allocated
                               : 100;
  runner_disk_progress(d->r, d->disk, pct, done, d->e->allocated);
}

/* Flush, then record what the flush made durable. */
static int checkpoint(struct disk_run *d, struct copy_run *c, uint64_t w)
{
  if (w <= d->saved)
    return 0;
  if (!d->ckpt) {           /* into a server: progress only */
    d->saved = w;
    progress(d, w);
    return 0;
  }
  if (fdatasync(c->fd) < 0) {
    pthread_mutex_lock(&c->lock);
    if (!c->err) {
      c->err = errno;
      snprintf(c->why, sizeof c->why, "destination: flush: %s",
               strerror(errno));
    }
    stop(c);
    pthread_mutex_unlock(&c->lock);
    return -1;
  }
  struct samples sm = { 0 };
  char digest[2 * 32 + 1];
  double t0 = time_monotonic();
  int r = 0;
  if (!d->no_digest) {
    samples_pick(d->e, w, &sm);
    r = samples_digest(d->rfd, &sm, digest);
    d->digests++;
    d->digest_s += time_monotonic() - t0;
  }
  if (r < 0 || checkpoint_save(d->ckpt, d->id, w, d->gen, &sm,
                               d->no_digest ? NULL : digest) < 0)
    runner_log(d->r, "disk %zu: checkpoint: %s", d->disk + 1,
               strerror(errno));
  d->saved = w;
  progress(d, w);
  return 0;
}

/* Waits for the threads, checkpointing about once a second and passing
 * a cancel on to them. */
/* A source that stops answering (a link dropping every packet, a server
 * that hangs) is not an error libnbd sees: reads just never complete.
 * No completion for stall_timeout_s() (uchd's stall_timeout) stops the
 * copy, naming the stall; the checkpoint stays, so a resubmit resumes. */
static void stall_check(struct disk_run *d, struct copy_run *c,
                        uint64_t *seen, double *since)
{
  uint64_t n = __atomic_load_n(&c->completions, __ATOMIC_RELAXED);
  double now = time_monotonic();

  if (n != *seen) {
    *seen = n;
    *since = now;
    return;
  }
  if (now - *since < d->stall_s || stopping(c))
    return;
  pthread_mutex_lock(&c->lock);
  if (!c->err) {
    c->err = ETIMEDOUT;
    snprintf(c->why, sizeof c->why, "the source stalled: nothing arrived "
             "from it for %u s (stall_timeout)", d->stall_s);
  }
  stop(c);
  pthread_mutex_unlock(&c->lock);
}

static void supervise(struct disk_run *d, struct copy_run *c)
{
  double last = time_monotonic(), since = last;
  uint64_t seen = 0;
  size_t running;
  uint64_t v;

  for (;;) {
    pthread_mutex_lock(&c->lock);
    running = c->running;
    pthread_mutex_unlock(&c->lock);
    if (running == 0)
      break;
    if (children_poll(&d->r->kids, c->done_fd, CHECKPOINT_MS) > 0 &&
        read(c->done_fd, &v, sizeof v) < 0)
      continue;
    if (d->r->kids.cancelled)
      stop(c);
    stall_check(d, c, &seen, &since);
    window_update(d, c);
    /* after a stop or error a thread may have been cut short; its chunk
     * stays busy, but no checkpoint is needed any more either */
    if (!stopping(c) && time_monotonic() - last >= CHECKPOINT_MS / 1000.0) {
      last = time_monotonic();
      checkpoint(d, c, written_below(c));
    }
  }
}

/* The other connections, at once (uch_nbd_preconnect): across a WAN
 * each handshake is several round trips, and 12 of them one after the
 * other took longer than the copy of 128 MiB.  k[0..have) are connected
 * already; returns how many there are, those that connected first. */
static size_t connect_more(const char *uri, struct conn *k, size_t have,
                           size_t want)
{
  struct uch_nbd_preconnect p;
  struct nbd_handle *got[CONNS_MAX];
  size_t n;

  if (want > CONNS_MAX)
    want = CONNS_MAX;
  if (have >= want)
    return have;
  uch_nbd_preconnect_start(&p, uri, want - have, stall_timeout_s());
  n = uch_nbd_preconnect_take(&p, got, want - have);
  uch_nbd_preconnect_end(&p);
  for (size_t i = 0; i < n; i++)
    k[have++].nbd = got[i];
  return have;
}

/* A raw destination's checkpoint, if one says where to resume, and its
 * generation (a new one when starting over): *start, and fd, rfd and
 * id for the checkpoints to come. */
static int resume_point(struct runner *r, size_t disk, const struct extents *e,
                        const char *dst_path, const char *ckpt, int *fd,
                        int *rfd, json_object **id, struct stat *st,
                        char gen[DEST_GENERATION_LEN], uint64_t *start,
                        struct job_failure *f)
{
  char cur[DEST_GENERATION_LEN], last_job[80], stale[256];
  bool have;

  *fd = open(dst_path, O_WRONLY | O_CLOEXEC);
  if (*fd < 0 || fstat(*fd, st) < 0 || !ckpt) {
    failure_set(f, "destination", "%s: %s", dst_path, strerror(errno));
    return -1;
  }
  *id = identity(st, e->size);
  *rfd = open(dst_path, O_RDONLY | O_CLOEXEC);
  if (*rfd < 0) {
    failure_set(f, "destination", "%s: %s", dst_path, strerror(errno));
    return -1;
  }
  have = dest_generation_read(r->job_dir, st, cur, last_job,
                              sizeof last_job) == 0;
  *start = checkpoint_load(ckpt, *id, have ? cur : NULL, *rfd, stale,
                           sizeof stale);
  if (*start > e->size)
    *start = 0;
  if (*start == 0 && stale[0])
    runner_log(r, "disk %zu: not resuming from the checkpoint: %s%s%s; "
               "copying from offset 0", disk + 1, stale,
               have ? ", last written by job " : "", have ? last_job : "");
  if (*start > 0)
    memcpy(gen, cur, DEST_GENERATION_LEN);
  else if (dest_generation_new(r->job_dir, st, r->id, gen) < 0) {
    failure_set(f, "destination", "%s: recording its generation: %s",
                dst_path, strerror(errno));
    return -1;
  }
  if (*start > 0)
    runner_log(r, "disk %zu: resuming at offset %llu (%llu of %llu data "
               "bytes are there)", disk + 1, (unsigned long long)*start,
               (unsigned long long)extents_data_below(e, *start),
               (unsigned long long)e->allocated);
  return 0;
}

/* Each connection's own connection to the destination server. */
static int connect_dst(struct conn *k, size_t conns, const char *dst_uri,
                       const char *dst_path, struct job_failure *f)
{
  struct source_wait w = { .stall_s = stall_timeout_s() };
  char why[512];

  for (size_t i = 0; i < conns; i++)
    if (!(k[i].dst = uch_nbd_connect(dst_uri, NULL, &w, why, sizeof why))) {
      failure_set(f, "destination", "%s: %s", dst_path, why);
      return -1;
    }
  return 0;
}

/* What the destination server holds is on its disk: a flush on each
 * connection (each wrote its own part). */
static int flush_dst(struct conn *k, size_t conns, const char *dst_path,
                     struct job_failure *f)
{
  for (size_t i = 0; i < conns; i++)
    if (k[i].dst && nbd_flush(k[i].dst, 0) < 0) {
      failure_set(f, "destination", "%s: flush: %s", dst_path,
                  nbd_get_error() ? nbd_get_error() : strerror(EIO));
      return -1;
    }
  return 0;
}

int resumable_copy(struct runner *r, size_t disk, const char *uri,
                   const char *shown,
                   const struct extents *e, const char *dst_path,
                   const char *dst_uri, bool is_zero,
                   const struct link_sizing *sz, struct nbd_handle **pre,
                   size_t n_pre, struct resumable_result *res,
                   struct job_failure *f)
{
  const char *name = shown ? shown : uri;
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *ckpt = dst_uri ? NULL : checkpoint_path(r, disk);
  _cleanup_json_ json_object *id = NULL;
  _cleanup_close_ int rfd = -1;
  char gen[DEST_GENERATION_LEN] = "";
  struct copy_run c = { .fd = -1, .done_fd = -1, .size = e->size };
  struct conn k[CONNS_MAX] = { 0 };
  pthread_t tid[CONNS_MAX];
  _cleanup_free_ char *rate_file = runtime_path(r, BANDWIDTH_FILE);
  struct disk_run d = { .r = r };
  struct stat st = { 0 };
  size_t conns = 0, started = 0;
  uint64_t start = 0;
  char why[512];
  struct source_wait cw = { .stall_s = stall_timeout_s() };
  int ret = -1;

  size_t conns_want = sz ? sz->connections : CONNS_LAN;

  /* a server takes as many clients as it was started for */
  if (dst_uri && conns_want > QEMU_NBD_CLIENTS)
    conns_want = QEMU_NBD_CLIENTS;
  c.slots = sz ? sz->requests : SLOTS;
  c.slot_size = sz ? sz->request_size : SLOT_SIZE;
  if (c.slots > SLOTS)
    c.slots = SLOTS;
  memset(res, 0, sizeof *res);
  if (!dst_uri && resume_point(r, disk, e, dst_path, ckpt, &fd, &rfd, &id,
                               &st, gen, &start, f) < 0)
    return -1;
  res->resumed_from = start;
  d = (struct disk_run){ r, disk, e, ckpt, id, start, rate_file, 0, rfd,
                        gen, stall_timeout_s(), false, 0, 0, sz };
  d.no_digest = getenv("UCH_BENCH_NO_DIGEST") &&
                strcmp(getenv("UCH_BENCH_NO_DIGEST"), "1") == 0;
  c.fd = fd;
  c.is_block = S_ISBLK(st.st_mode);
  c.is_zero = is_zero;
  c.uri = uri;
  c.direct = sz != NULL;
  pthread_mutex_init(&c.lock, NULL);
  for (size_t i = 0; i < CONNS_MAX; i++)
    c.busy[i] = e->size;
  if ((c.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
      plan(&c, e, start) < 0) {
    failure_set(f, "internal", "%s", strerror(errno));
    goto out;
  }
  if (n_pre > 0 && pre[0]) {
    k[0].nbd = pre[0];          /* the caller's, connected already */
    pre[0] = NULL;
  } else if (!(k[0].nbd = uch_nbd_connect(uri, NULL, &cw, why,
                                          sizeof why))) {
    if (cw.stalled)
      failure_set(f, "timeout", "the source stalled: %s from %s; %s", why,
                  name, dst_uri ? "a qcow2 copy cannot resume: submit the "
                                 "same request again to copy it anew"
                               : "submit the same request again to resume");
    else
      failure_set(f, "source", "%s: %s", name, why);
    goto out;
  }
  conns = 1;
  if (nbd_can_multi_conn(k[0].nbd) == 1) {
    for (size_t i = 1; i < n_pre && conns < conns_want && conns < CONNS_MAX;
         i++)
      if (pre[i]) {
        k[conns++].nbd = pre[i];
        pre[i] = NULL;
      }
    conns = connect_more(uri, k, conns, conns_want);
  }
  if (dst_uri && connect_dst(k, conns, dst_uri, dst_path, f) < 0)
    goto out;
  for (size_t i = 0; i < conns; i++) {
    k[i].c = &c;
    k[i].idx = i;
    for (size_t j = 0; j < c.slots; j++) {
      k[i].ref[j] = (struct slot_ref){ &k[i], j };
      if (!(k[i].buf[j] = malloc(c.slot_size))) {
        failure_set(f, "internal", "out of memory");
        goto out;
      }
    }
  }
  runner_log(r, "disk %zu: copying from offset %llu over %zu connection%s%s",
             disk + 1, (unsigned long long)start, conns,
             conns == 1 ? "" : "s",
             is_zero ? ", the destination is zero (holes not written)" : "");
  progress(&d, start);
  d.conns = conns;
  window_update(&d, &c);
  c.running = conns;
  for (started = 0; started < conns; started++)
    if ((errno = pthread_create(&tid[started], NULL, conn_thread,
                                &k[started])) != 0) {
      pthread_mutex_lock(&c.lock);
      c.running -= conns - started;
      pthread_mutex_unlock(&c.lock);
      stop(&c);
      failure_set(f, "internal", "thread: %s", strerror(errno));
      break;
    }
  supervise(&d, &c);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  if (started < conns)
    goto out;
  res->copied = c.copied;
  if (c.reconnects)
    runner_log(r, "disk %zu: the source failed and was connected to again "
               "%u time%s", disk + 1, c.reconnects,
               c.reconnects == 1 ? "" : "s");
  if (c.err || r->kids.cancelled) {
    /* docs/api.md: the side that failed is the code, and its path is
     * named (a lost source, an I/O error, a full destination) */
    static const char dst_prefix[] = "destination: ";
    if (c.err == ETIMEDOUT && strncmp(c.why, "the source stalled", 18) == 0)
      failure_set(f, "timeout", "%s (source %s); %s", c.why, name,
                  dst_uri ? "a qcow2 copy cannot resume: submit the same "
                            "request again to copy it anew"
                          : "the checkpoint is kept: submit the same "
                            "request again to resume");
    else if (c.err && strncmp(c.why, dst_prefix, sizeof dst_prefix - 1) == 0)
      failure_set(f, "destination", "%s: %s", dst_path,
                  c.why + sizeof dst_prefix - 1);
    else if (c.err)
      failure_set(f, "source", "%s (source %s)",
                  c.why[0] ? c.why : strerror(c.err), name);
    goto out;
  }
  if (dst_uri && flush_dst(k, conns, dst_path, f) < 0)
    goto out;
  if (checkpoint(&d, &c, e->size) < 0) {
    failure_set(f, "destination", "%s", c.why);
    goto out;
  }
  /* what the digests cost (bench/digest reads it) */
  if (!dst_uri)
    runner_log(r, "disk %zu: checkpoint digests: %u in %.3f s%s", disk + 1,
               d.digests, d.digest_s,
               d.no_digest ? " (UCH_BENCH_NO_DIGEST: none made)" : "");
  ret = 0;
out:
  for (size_t i = 0; i < conns; i++) {
    /* after a cancel or an error, reads may still be in flight; the
     * destination's writes are each waited for */
    uch_nbd_disconnect(k[i].nbd, ret == 0);
    uch_nbd_disconnect(k[i].dst, true);
    for (size_t j = 0; j < SLOTS; j++)
      free(k[i].buf[j]);
  }
  if (c.done_fd >= 0)
    close(c.done_fd);
  free(c.v);
  pthread_mutex_destroy(&c.lock);
  return ret;
}
