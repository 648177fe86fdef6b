/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "transfer/nbd-connect.h"
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

/* nbd_aio_connect_uri() driven by nbd_poll() a second at a time, so
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
    if (nbd_poll(nbd, 1000) < 0)
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

/* How long between two attempts of uch_nbd_wait_serving() (ms): a
 * refused connection is answered at once, and an export starting up
 * listens within a few tenths of a second. */
#define SERVE_RETRY_MS 200

int uch_nbd_wait_serving(const char *uri, unsigned wait_s,
                         struct source_wait *w, unsigned *tries,
                         char *errbuf, size_t len)
{
  const struct timespec pause = { 0, SERVE_RETRY_MS * 1000000L };
  double since = time_monotonic();

  *tries = 0;
  for (;;) {
    struct nbd_handle *nbd = uch_nbd_connect(uri, NULL, w, errbuf, len);
    ++*tries;
    if (nbd) {
      uch_nbd_disconnect(nbd, true);
      return 0;
    }
    if (w->stopped)
      return -1;
    if (time_monotonic() - since >= wait_s)
      return -1;
    nanosleep(&pause, NULL);
    if (w->stop && w->stop(w->opaque)) {
      w->stopped = true;
      snprintf(errbuf, len, "cancelled");
      return -1;
    }
  }
}

void uch_nbd_disconnect(struct nbd_handle *nbd, bool polite)
{
  if (!nbd)
    return;
  if (polite)
    nbd_shutdown(nbd, 0);
  nbd_close(nbd);
}

static void *preconnect_one(void *opaque)
{
  struct uch_nbd_preconnect_one *o = opaque;
  struct source_wait w = { .stall_s = o->stall_s };
  char why[256];

  o->nbd = uch_nbd_connect(o->uri, NULL, &w, why, sizeof why);
  return NULL;
}

void uch_nbd_preconnect_start(struct uch_nbd_preconnect *p, const char *uri,
                              size_t n, unsigned stall_s)
{
  memset(p, 0, sizeof *p);
  if (n > UCH_PRECONNECT_MAX)
    n = UCH_PRECONNECT_MAX;
  for (size_t i = 0; i < n; i++) {
    p->one[i].uri = uri;
    p->one[i].stall_s = stall_s;
    /* one that cannot start is one connection fewer: the copy connects
     * what it lacks itself */
    p->one[i].started = pthread_create(&p->one[i].tid, NULL, preconnect_one,
                                       &p->one[i]) == 0;
  }
  p->n = n;
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
  preconnect_join(p);
  for (size_t i = 0; i < p->n; i++) {
    uch_nbd_disconnect(p->one[i].nbd, true);
    p->one[i].nbd = NULL;
  }
}
