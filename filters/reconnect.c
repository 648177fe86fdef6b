/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reconnect: an nbdkit filter of UCH's that reopens the plugin's
 * connection when a request fails, as nbdkit's retry filter does, but
 * without serializing requests.
 *
 * nbdkit's retry filter is thread_model=serialize_requests: each client
 * connection carries one request at a time, so a copy reading a source
 * across a network through nbdkit's nbd plugin keeps one read in flight
 * per connection whatever it queues, and the link idles for a round
 * trip after each read (bench/README.md, "Across a WAN").  This filter
 * is parallel: requests go to the plugin side by side.  When one fails
 * it waits for the requests in flight (on a dead connection they fail
 * too), then one thread waits retry-delay seconds (doubled at each
 * retry), closes the plugin's connection and opens a new one; the
 * requests that failed meanwhile are sent again on it.  A request fails
 * for good after `retries` attempts.  A generation number tells a
 * failed request whether the connection it used was already replaced,
 * so one outage reopens once, not once per request in flight.
 *
 * Only reads, extents, cache and flush are retried: the source is
 * served read-only (nbdkit -r).  Build: the Makefile's
 * $(B)/uch-reconnect-filter.so; used by an inspect job's nbdkit
 * reading a network source (service/transfer/endpoint.c).  A copy
 * reads one with its own libnbd and connects again itself, on the same
 * schedule (transfer/nbd-connect.c, uch_nbd_reconnect). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nbdkit-filter.h>

static unsigned retries = 5;            /* retries= */
static unsigned initial_delay = 2;      /* retry-delay=, seconds */

static int rc_config(nbdkit_next_config *next, nbdkit_backend *nxdata,
                     const char *key, const char *value)
{
  if (strcmp(key, "retries") == 0)
    return nbdkit_parse_unsigned("retries", value, &retries);
  if (strcmp(key, "retry-delay") == 0) {
    if (nbdkit_parse_unsigned("retry-delay", value, &initial_delay) == -1)
      return -1;
    if (initial_delay == 0) {
      nbdkit_error("retry-delay cannot be 0");
      return -1;
    }
    return 0;
  }
  return next(nxdata, key, value);
}

static int rc_thread_model(void)
{
  return NBDKIT_THREAD_MODEL_PARALLEL;
}

struct rc_handle {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  nbdkit_context *context;
  nbdkit_next *cur;             /* the plugin's connection; NULL if lost */
  uint64_t gen;                 /* bumped at each reopen */
  unsigned in_flight;           /* requests using cur */
  bool reopening;               /* no request may start */
  bool readonly;
  char *exportname;
  int64_t size;                 /* the first connection's */
  unsigned reopens;
};

static void *rc_open(nbdkit_next_open *next, nbdkit_context *nxdata,
                     int readonly, const char *exportname, int is_tls)
{
  struct rc_handle *h;

  (void)is_tls;
  if (next(nxdata, readonly, exportname) == -1)
    return NULL;
  h = calloc(1, sizeof *h);
  if (!h || !(h->exportname = strdup(exportname))) {
    nbdkit_error("malloc: %m");
    free(h);
    return NULL;
  }
  pthread_mutex_init(&h->lock, NULL);
  pthread_cond_init(&h->cond, NULL);
  h->context = nxdata;
  h->readonly = readonly;
  return h;
}

static int rc_prepare(nbdkit_next *next, void *handle, int readonly)
{
  struct rc_handle *h = handle;

  (void)readonly;
  h->cur = next;
  h->size = next->get_size(next);
  return h->size == -1 ? -1 : 0;
}

static void rc_close(void *handle)
{
  struct rc_handle *h = handle;

  nbdkit_debug("reconnect: reopens needed: %u", h->reopens);
  pthread_cond_destroy(&h->cond);
  pthread_mutex_destroy(&h->lock);
  free(h->exportname);
  free(h);
}

/* A request starts on the current connection (NULL: none) */
static nbdkit_next *enter(struct rc_handle *h, uint64_t *gen)
{
  nbdkit_next *n;

  pthread_mutex_lock(&h->lock);
  while (h->reopening)
    pthread_cond_wait(&h->cond, &h->lock);
  n = h->cur;
  *gen = h->gen;
  if (n)
    h->in_flight++;
  pthread_mutex_unlock(&h->lock);
  return n;
}

static void leave(struct rc_handle *h, nbdkit_next *n)
{
  if (!n)
    return;
  pthread_mutex_lock(&h->lock);
  if (--h->in_flight == 0)
    pthread_cond_broadcast(&h->cond);
  pthread_mutex_unlock(&h->lock);
}

struct attempt {
  unsigned retry;               /* retries done by this request */
  unsigned delay;               /* seconds before the next reopen */
};

/* Close the plugin's connection and open a new one; the caller has
 * stopped every other request. */
static void reopen(struct rc_handle *h)
{
  nbdkit_next *n = h->cur, *old;

  h->reopens++;
  if (n) {
    if (n->finalize(n) == -1)
      nbdkit_debug("reconnect: finalize of the old connection failed");
    nbdkit_next_context_close(n);
    old = nbdkit_context_set_next(h->context, NULL);
    (void)old;
    h->cur = NULL;
  }
  n = nbdkit_next_context_open(nbdkit_context_get_backend(h->context),
                               h->readonly, h->exportname, false);
  if (!n) {
    nbdkit_debug("reconnect: reopen failed");
    return;
  }
  /* nbdkit asks a new connection what it can do before a request may
   * use it (its asserts need the answers): the size, which must not
   * have changed, and what the retried requests need */
  if (n->prepare(n) == -1 || n->get_size(n) != h->size ||
      n->can_extents(n) == -1 || n->can_cache(n) == -1 ||
      n->can_flush(n) == -1) {
    nbdkit_debug("reconnect: the new connection failed, or its size "
                 "changed");
    n->finalize(n);
    nbdkit_next_context_close(n);
    return;
  }
  nbdkit_context_set_next(h->context, n);
  h->cur = n;
}

/* After a failed request on generation gen: true to send it again. */
static bool retry_after(struct rc_handle *h, struct attempt *a, uint64_t gen,
                        const char *what, int *err)
{
  if (a->retry == 0)
    a->delay = initial_delay;
  if (a->retry >= retries) {
    nbdkit_debug("reconnect: %s: could not recover after %u retries", what,
                 retries);
    return false;
  }
  a->retry++;
  nbdkit_debug("reconnect: %s failed: errno %d, retry %u", what, *err,
               a->retry);
  pthread_mutex_lock(&h->lock);
  while (h->reopening)
    pthread_cond_wait(&h->cond, &h->lock);
  if (h->gen != gen) {          /* another request reopened it already */
    pthread_mutex_unlock(&h->lock);
    return true;
  }
  h->reopening = true;
  while (h->in_flight > 0)
    pthread_cond_wait(&h->cond, &h->lock);
  pthread_mutex_unlock(&h->lock);

  nbdkit_debug("reconnect: waiting %u seconds before reopening", a->delay);
  if (nbdkit_nanosleep(a->delay, 0) == 0)
    reopen(h);
  a->delay *= 2;

  pthread_mutex_lock(&h->lock);
  h->gen++;
  h->reopening = false;
  pthread_cond_broadcast(&h->cond);
  pthread_mutex_unlock(&h->lock);
  return true;
}

static int rc_pread(nbdkit_next *next, void *handle, void *buf,
                    uint32_t count, uint64_t offset, uint32_t flags, int *err)
{
  struct rc_handle *h = handle;
  struct attempt a = { 0 };
  uint64_t gen;
  int r;

  (void)next;
  do {
    nbdkit_next *n = enter(h, &gen);
    if (n)
      r = n->pread(n, buf, count, offset, flags, err);
    else {
      *err = ESHUTDOWN;
      r = -1;
    }
    leave(h, n);
  } while (r == -1 && retry_after(h, &a, gen, "pread", err));
  return r;
}

static int rc_extents(nbdkit_next *next, void *handle, uint32_t count,
                      uint64_t offset, uint32_t flags,
                      struct nbdkit_extents *extents, int *err)
{
  struct rc_handle *h = handle;
  struct attempt a = { 0 };
  struct nbdkit_extents *got = NULL;
  uint64_t gen;
  int r;

  (void)next;
  do {
    nbdkit_next *n = enter(h, &gen);
    nbdkit_extents_free(got);
    got = NULL;
    /* each attempt starts from empty extents */
    if (n && (got = nbdkit_extents_new(offset, n->get_size(n))))
      r = n->extents(n, count, offset, flags, got, err);
    else {
      *err = n ? errno : ESHUTDOWN;
      r = -1;
    }
    leave(h, n);
  } while (r == -1 && retry_after(h, &a, gen, "extents", err));
  for (size_t i = 0; r == 0 && i < nbdkit_extents_count(got); i++) {
    struct nbdkit_extent e = nbdkit_get_extent(got, i);
    if (nbdkit_add_extent(extents, e.offset, e.length, e.type) == -1) {
      *err = errno;
      r = -1;
    }
  }
  nbdkit_extents_free(got);
  return r;
}

static int rc_cache(nbdkit_next *next, void *handle, uint32_t count,
                    uint64_t offset, uint32_t flags, int *err)
{
  struct rc_handle *h = handle;
  struct attempt a = { 0 };
  uint64_t gen;
  int r;

  (void)next;
  do {
    nbdkit_next *n = enter(h, &gen);
    if (n)
      r = n->cache(n, count, offset, flags, err);
    else {
      *err = ESHUTDOWN;
      r = -1;
    }
    leave(h, n);
  } while (r == -1 && retry_after(h, &a, gen, "cache", err));
  return r;
}

static int rc_flush(nbdkit_next *next, void *handle, uint32_t flags,
                    int *err)
{
  struct rc_handle *h = handle;
  struct attempt a = { 0 };
  uint64_t gen;
  int r;

  (void)next;
  do {
    nbdkit_next *n = enter(h, &gen);
    if (n)
      r = n->flush(n, flags, err);
    else {
      *err = ESHUTDOWN;
      r = -1;
    }
    leave(h, n);
  } while (r == -1 && retry_after(h, &a, gen, "flush", err));
  return r;
}

static struct nbdkit_filter filter = {
  .name = "reconnect",
  .longname = "UCH reconnect filter",
  .description = "reopens the plugin's connection on failure, in parallel",
  .config = rc_config,
  .config_help =
    "retries=N       Retries of a request (5).\n"
    "retry-delay=N   Seconds before the first reopen, doubled each time (2).",
  .thread_model = rc_thread_model,
  .open = rc_open,
  .prepare = rc_prepare,
  .close = rc_close,
  .pread = rc_pread,
  .extents = rc_extents,
  .cache = rc_cache,
  .flush = rc_flush,
};

NBDKIT_REGISTER_FILTER(filter)
