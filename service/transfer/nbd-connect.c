/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "transfer/nbd-connect.h"
#include "transfer/tool-argv.h"
#include "util/timeutil.h"

void uch_nbd_error(char *buf, size_t len)
{
  const char *e = nbd_get_error();
  const char *colon = e ? strstr(e, ": ") : NULL;

  if (!e)
    e = errno ? strerror(errno) : "unknown libnbd error";
  else if (strncmp(e, "nbd_", 4) == 0 && colon)
    e = colon + 2;
  snprintf(buf, len, "%s", e);
}

/* nbd_aio_connect_uri() driven by nbd_poll() 100 ms at a time, so
 * that a peer that never answers is a stall, not a hang (libnbd's own
 * connect waits for ever). */
static int connect_wait(struct nbd_handle *nbd, const char *uri,
                        struct source_wait *w, char *errbuf, size_t len)
{
  double since = time_monotonic();

  w->stalled = w->stopped = false;
  if (nbd_aio_connect_uri(nbd, uri) < 0)
    return -1;
  while (nbd_aio_is_connecting(nbd)) {
    if (nbd_poll(nbd, 100) < 0)
      return -1;
    if (!nbd_aio_is_connecting(nbd))
      break;
    if (w->stop && w->stop(w->opaque)) {
      w->stopped = true;
      snprintf(errbuf, len, "cancelled");
      return -1;
    }
    if (w->stall_s && time_monotonic() - since >= w->stall_s) {
      w->stalled = true;
      snprintf(errbuf, len, "no answer while connecting (TCP connect, TLS "
               "or NBD handshake) for %u s (stall_timeout)", w->stall_s);
      return -1;
    }
  }
  if (nbd_aio_is_ready(nbd))
    return 0;
  if (!nbd_get_error())
    snprintf(errbuf, len, "the connection ended during the handshake");
  return nbd_get_error() ? -1 : -2;
}

struct nbd_handle *uch_nbd_connect(const char *uri, const char *bitmap,
                                   struct source_wait *w, char *errbuf,
                                   size_t len)
{
  struct nbd_handle *nbd = nbd_create();
  char ctx[128];
  int r;

  if (!nbd) {
    uch_nbd_error(errbuf, len);
    return NULL;
  }
  if (bitmap)
    snprintf(ctx, sizeof ctx, "qemu:dirty-bitmap:%s", bitmap);
  if (nbd_add_meta_context(nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) < 0 ||
      (bitmap && nbd_add_meta_context(nbd, ctx) < 0) ||
      nbd_set_uri_allow_local_file(nbd, true) < 0) {
    uch_nbd_error(errbuf, len);
    nbd_close(nbd);
    return NULL;
  }
  r = w ? connect_wait(nbd, uri, w, errbuf, len) : nbd_connect_uri(nbd, uri);
  if (r < 0) {
    if (r == -1 && !(w && (w->stalled || w->stopped)))
      uch_nbd_error(errbuf, len);
    nbd_close(nbd);
    return NULL;
  }
  return nbd;
}

/* How long between two attempts of a connection waited for (ms): a
 * refused connection is answered at once, and an export starting up
 * listens within a few tenths of a second. */
#define SERVE_RETRY_MS 200

/* After a failed attempt of a wait that began at `since`: false when
 * it is over (a stop, wait_s passed, a stop during the pause), else
 * true after the pause. */
static bool try_again(double since, unsigned wait_s, struct source_wait *w,
                      char *errbuf, size_t len)
{
  if (w->stopped)
    return false;
  if (w->retrying && time_monotonic() - since < wait_s)
    w->retrying(w->retry_opaque, errbuf);
  if (time_retry_pause(since, wait_s, SERVE_RETRY_MS, w->stop,
                       w->opaque) == 0)
    return true;
  if (errno == ECANCELED) {
    w->stopped = true;
    snprintf(errbuf, len, "cancelled");
  }
  return false;
}

struct nbd_handle *uch_nbd_connect_within(const char *uri, const char *bitmap,
                                          unsigned wait_s,
                                          struct source_wait *w,
                                          unsigned *tries, char *errbuf,
                                          size_t len)
{
  double since = time_monotonic();
  struct nbd_handle *nbd;

  *tries = 0;
  do {
    ++*tries;
    nbd = uch_nbd_connect(uri, bitmap, w, errbuf, len);
  } while (!nbd && try_again(since, wait_s, w, errbuf, len));
  return nbd;
}

void uch_nbd_disconnect(struct nbd_handle *nbd, bool polite)
{
  if (!nbd)
    return;
  if (polite)
    nbd_shutdown(nbd, 0);
  nbd_close(nbd);
}

int uch_nbd_wait_turn(struct nbd_handle *nbd, double wait_s)
{
  int ms = wait_s < 0.01 ? (int)(wait_s * 1000) + 1 : 10;

  if (nbd_aio_in_flight(nbd) > 0)
    return nbd_poll(nbd, ms) < 0 ? -1 : 0;
  nanosleep(&(struct timespec){ 0, ms * 1000000L }, NULL);
  return 0;
}

int uch_nbd_reconnect(struct nbd_handle **nbd, const char *uri,
                      uint64_t size, struct uch_nbd_retry *a,
                      struct source_wait *w, char *errbuf, size_t len)
{
  char why[256];

  errbuf[0] = '\0';
  if (a->made == 0)
    a->delay = SOURCE_RETRY_DELAY;
  while (a->made < SOURCE_RETRIES) {
    double since = time_monotonic();

    a->made++;
    nbd_close(*nbd);
    *nbd = NULL;
    /* the delay, the stop asked every 100 ms */
    while (time_retry_pause(since, a->delay, 100, w->stop, w->opaque) == 0)
      ;
    if (errno == ECANCELED) {
      w->stopped = true;
      return -1;
    }
    a->delay *= 2;
    if (!(*nbd = uch_nbd_connect(uri, NULL, w, why, sizeof why))) {
      if (w->stopped)
        return -1;
      w->stalled = false;       /* a handshake that stalled: a retry */
      continue;
    }
    if (nbd_get_size(*nbd) != (int64_t)size) {
      snprintf(errbuf, len, "the source's size changed from %llu to %lld "
               "bytes when it served again", (unsigned long long)size,
               (long long)nbd_get_size(*nbd));
      nbd_close(*nbd);
      *nbd = NULL;
      return -1;
    }
    return 0;
  }
  nbd_close(*nbd);
  *nbd = NULL;
  return -1;
}

static bool preconnect_stopped(void *opaque)
{
  struct uch_nbd_preconnect *p = opaque;
  bool stop;

  pthread_mutex_lock(&p->lock);
  stop = p->stop;
  pthread_mutex_unlock(&p->lock);
  return stop;
}

static void *preconnect_one(void *opaque)
{
  struct uch_nbd_preconnect_one *o = opaque;
  struct uch_nbd_preconnect *p = o->p;
  struct source_wait w = { .stall_s = o->stall_s, .stop = preconnect_stopped,
                           .opaque = p };
  char why[sizeof o->why] = "";
  struct nbd_handle *nbd = uch_nbd_connect(o->uri, NULL, &w, why,
                                           sizeof why);

  pthread_mutex_lock(&p->lock);
  o->nbd = nbd;
  o->stalled = w.stalled;
  memcpy(o->why, why, sizeof why);
  o->done = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

void uch_nbd_preconnect_start(struct uch_nbd_preconnect *p, const char *uri,
                              size_t n, unsigned stall_s)
{
  memset(p, 0, sizeof *p);
  if (n > UCH_PRECONNECT_MAX)
    n = UCH_PRECONNECT_MAX;
  if (pthread_mutex_init(&p->lock, NULL) != 0)
    return;                         /* nothing started */
  if (pthread_cond_init(&p->cond, NULL) != 0) {
    pthread_mutex_destroy(&p->lock);
    return;
  }
  p->sync = true;
  p->n = n;
  for (size_t i = 0; i < n; i++) {
    struct uch_nbd_preconnect_one *o = &p->one[i];
    o->p = p;
    o->uri = uri;
    o->stall_s = stall_s;
    /* one that cannot start is one connection fewer: the copy connects
     * what it lacks itself */
    pthread_mutex_lock(&p->lock);
    o->started = pthread_create(&o->tid, NULL, preconnect_one, o) == 0;
    if (!o->started) {
      snprintf(o->why, sizeof o->why, "cannot start a thread to connect");
      o->done = true;
    }
    pthread_mutex_unlock(&p->lock);
  }
}

/* in 100 ms from now */
static void deadline_in_100ms(struct timespec *ts)
{
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_nsec += 100 * 1000 * 1000;
  if (ts->tv_nsec >= 1000 * 1000 * 1000) {
    ts->tv_nsec -= 1000 * 1000 * 1000;
    ts->tv_sec++;
  }
}

struct nbd_handle *uch_nbd_preconnect_first(struct uch_nbd_preconnect *p,
                                            struct source_wait *w,
                                            char *errbuf, size_t len)
{
  struct nbd_handle *nbd = NULL;
  struct timespec ts;

  if (w)
    w->stalled = w->stopped = false;
  if (!p->sync || p->n == 0) {
    snprintf(errbuf, len, "no connection could be started");
    return NULL;
  }
  pthread_mutex_lock(&p->lock);
  for (;;) {
    size_t ended = 0;
    for (size_t i = 0; i < p->n && !nbd; i++) {
      if (p->one[i].nbd) {
        nbd = p->one[i].nbd;
        p->one[i].nbd = NULL;
      }
      ended += p->one[i].done;
    }
    if (nbd)
      break;
    if (ended == p->n) {
      /* none connected: the first's words say why */
      snprintf(errbuf, len, "%s", p->one[0].why);
      if (w)
        w->stalled = p->one[0].stalled;
      break;
    }
    if (w && w->stop) {
      pthread_mutex_unlock(&p->lock);
      bool stop = w->stop(w->opaque);
      pthread_mutex_lock(&p->lock);
      if (stop) {
        p->stop = true;
        w->stopped = true;
        snprintf(errbuf, len, "cancelled");
        break;
      }
    }
    deadline_in_100ms(&ts);
    pthread_cond_timedwait(&p->cond, &p->lock, &ts);
  }
  pthread_mutex_unlock(&p->lock);
  return nbd;
}

void uch_nbd_preconnect_stop(struct uch_nbd_preconnect *p)
{
  if (!p->sync)
    return;
  pthread_mutex_lock(&p->lock);
  p->stop = true;
  pthread_mutex_unlock(&p->lock);
}

static void preconnect_join(struct uch_nbd_preconnect *p)
{
  if (p->joined)
    return;
  for (size_t i = 0; i < p->n; i++)
    if (p->one[i].started)
      pthread_join(p->one[i].tid, NULL);
  p->joined = true;
}

size_t uch_nbd_preconnect_take(struct uch_nbd_preconnect *p,
                               struct nbd_handle **out, size_t max)
{
  size_t got = 0;

  /* stopped: those still connecting may wait on a server for as long
   * as another connection is open; end() waits for them to stop */
  if (p->stop)
    return 0;
  preconnect_join(p);
  for (size_t i = 0; i < p->n && got < max; i++)
    if (p->one[i].nbd) {
      out[got++] = p->one[i].nbd;
      p->one[i].nbd = NULL;
    }
  return got;
}

void uch_nbd_preconnect_end(struct uch_nbd_preconnect *p)
{
  uch_nbd_preconnect_stop(p);
  preconnect_join(p);
  for (size_t i = 0; i < p->n; i++) {
    uch_nbd_disconnect(p->one[i].nbd, true);
    p->one[i].nbd = NULL;
  }
  if (p->sync) {
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    p->sync = false;
  }
}

struct nbd_handle *uch_nbd_preconnect_first_within(
    struct uch_nbd_preconnect *p, const char *uri, size_t n, unsigned stall_s,
    unsigned wait_s, struct source_wait *w, unsigned *tries, char *errbuf,
    size_t len)
{
  double since = time_monotonic();
  struct nbd_handle *nbd;

  *tries = 0;
  for (;;) {
    ++*tries;
    uch_nbd_preconnect_start(p, uri, n, stall_s);
    nbd = uch_nbd_preconnect_first(p, w, errbuf, len);
    if (nbd || w->stopped || time_monotonic() - since >= wait_s)
      return nbd;
    /* none connected: every one of them ended, end() waits for none */
    uch_nbd_preconnect_end(p);
    if (!try_again(since, wait_s, w, errbuf, len))
      return NULL;
  }
}
