/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One way to open a libnbd connection for the copies that read a source
 * themselves (resumable, incremental) and for verify. */
#ifndef UCH_NBD_CONNECT_H
#define UCH_NBD_CONNECT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <libnbd.h>

#include "transfer/extents.h"

/* A handle connected to `uri` (nbd+unix:// with a local socket allowed),
 * asking for base:allocation and, when `bitmap` is not NULL, for
 * qemu:dirty-bitmap:BITMAP.  NULL with libnbd's words in errbuf
 * (without the name of the libnbd call) on failure.  The connection
 * (TCP connect, TLS and NBD handshake) is waited for as `w` says (NULL:
 * for ever): a source that accepts and never answers, or never
 * accepts, ends it after w->stall_s with w->stalled set and errbuf
 * naming the stall; a stop, w->stopped. */
struct nbd_handle *uch_nbd_connect(const char *uri, const char *bitmap,
                                   struct source_wait *w, char *errbuf,
                                   size_t len);

/* uch_nbd_connect() for a source that may not serve yet (a copy
 * submitted with its source's export, in the same round, may connect
 * before the export listens): after a failed attempt (refused, a
 * handshake that failed or stalled as `w` says) tries again every
 * 0.2 s for as long as wait_s seconds have not passed since the first
 * attempt.  The connection, or NULL: errbuf holds the last attempt's
 * error, or a stop ended the wait (w->stopped).  *tries: the attempts
 * made.  wait_s 0: one attempt.  `w` may not be NULL. */
struct nbd_handle *uch_nbd_connect_within(const char *uri, const char *bitmap,
                                          unsigned wait_s,
                                          struct source_wait *w,
                                          unsigned *tries, char *errbuf,
                                          size_t len);

/* libnbd's last error without the name of the call ("nbd_pread: x" ->
 * "x"): the function name means nothing to the person reading the
 * job's error. */
void uch_nbd_error(char *buf, size_t len);

/* Ends a connection.  `polite` (the work is done, nothing is in
 * flight): NBD_CMD_DISC first.  Otherwise, on a cancel or an error,
 * nbd_close() alone: nbd_shutdown() would wait for the reads still in
 * flight, which on a slow source hold a cancel up for as long as they
 * take; nbd_close() drops them. */
void uch_nbd_disconnect(struct nbd_handle *nbd, bool polite);

/* A reader waiting `wait_s` for its turn at a rate (rate-window.h):
 * at most 10 ms at a time, so that a new limit shows at once, the
 * handle's reads in flight completing meanwhile (a sleep when there is
 * none).  -1 when the connection failed. */
int uch_nbd_wait_turn(struct nbd_handle *nbd, double wait_s);

/* A network source read directly is read again after a failure as our
 * reconnect filter (filters/reconnect.c) had nbdkit do: the first retry
 * SOURCE_RETRY_DELAY seconds after the failure, each wait twice the one
 * before, at most SOURCE_RETRIES retries (transfer/tool-argv.h); a
 * connection that fails counts as one.  A zeroed struct: none made. */
struct uch_nbd_retry {
  unsigned made;
  unsigned delay;
};

/* After a failed request on *nbd: closes it (the requests still in
 * flight are dropped), waits for the next retry and connects to `uri`
 * again.  0: the new connection in *nbd.  -1, *nbd NULL: the retries
 * are spent (errbuf empty: the caller's own error stands, with
 * SOURCE_RETRIES said), a stop during the wait (w->stop, asked every
 * 100 ms; w->stopped), or the source's size is no longer `size` (errbuf
 * says so).  w->stall_s bounds each connection's handshake. */
int uch_nbd_reconnect(struct nbd_handle **nbd, const char *uri,
                      uint64_t size, struct uch_nbd_retry *a,
                      struct source_wait *w, char *errbuf, size_t len);

/* Connections opened side by side, in the background: across a WAN
 * each handshake (TCP, TLS, NBD options) is several round trips, so a
 * copy connects all the connections it will read on at once, and
 * measures the source on the first to be ready while the others finish
 * theirs (bench/README.md, "Across a WAN").
 * uch_nbd_preconnect_start() starts n (at most UCH_PRECONNECT_MAX)
 * connections to uri, each in a thread of its own, each waiting at
 * most stall_s for its handshake; uch_nbd_preconnect_first() waits for
 * the first of them to connect and hands it over; uch_nbd_preconnect_
 * stop() gives up on the others (a server that takes one connection at
 * a time would keep them waiting for as long as the first is open);
 * uch_nbd_preconnect_take() waits for them all and hands over those
 * that connected, in order (none once stopped; the caller owns them);
 * uch_nbd_preconnect_end() stops those still connecting, waits for
 * them (100 ms at most each) and closes those not taken.
 * A zeroed struct is one with nothing started. */
#define UCH_PRECONNECT_MAX 16

struct uch_nbd_preconnect;

struct uch_nbd_preconnect_one {
  struct uch_nbd_preconnect *p;
  const char *uri;
  unsigned stall_s;
  struct nbd_handle *nbd;
  bool done, stalled;        /* its handshake ended; how */
  char why[256];             /* libnbd's words when it failed */
  pthread_t tid;
  bool started;
};

struct uch_nbd_preconnect {
  size_t n;
  bool joined;
  bool stop;                 /* under lock: those still connecting end */
  bool sync;                 /* lock and cond made */
  pthread_mutex_t lock;
  pthread_cond_t cond;       /* one more ended its handshake */
  struct uch_nbd_preconnect_one one[UCH_PRECONNECT_MAX];
};

void uch_nbd_preconnect_start(struct uch_nbd_preconnect *p, const char *uri,
                              size_t n, unsigned stall_s);
/* The first connection to connect, handed over (the caller owns it),
 * or NULL once none can: errbuf says why (the first started's libnbd
 * words, or its stall: w->stalled), or w->stop (asked in this thread
 * every 100 ms; may be NULL) said to stop (w->stopped; the others are
 * stopped too).  w->stall_s is not used: each connection has its own. */
struct nbd_handle *uch_nbd_preconnect_first(struct uch_nbd_preconnect *p,
                                            struct source_wait *w,
                                            char *errbuf, size_t len);
void uch_nbd_preconnect_stop(struct uch_nbd_preconnect *p);
/* Up to max of the connections that connected into out; returns how
 * many (0 when none did, none was started, or they were stopped). */
size_t uch_nbd_preconnect_take(struct uch_nbd_preconnect *p,
                               struct nbd_handle **out, size_t max);
void uch_nbd_preconnect_end(struct uch_nbd_preconnect *p);
/* uch_nbd_preconnect_start() then _first(), for a source that may not
 * serve yet (see uch_nbd_connect_within): when none of the n connected,
 * they are ended and n more started 0.2 s later, for as long as wait_s
 * seconds have not passed since the first attempt (wait_s 0: one).
 * The first connected, handed over, the others of its attempt still in
 * p (take, stop, end as after _first()); or NULL: errbuf and w as
 * _first() says them for the last attempt, or a stop (w->stopped).
 * *tries: the attempts made.  `w` may not be NULL; w->stall_s is not
 * used (each connection waits stall_s). */
struct nbd_handle *uch_nbd_preconnect_first_within(
    struct uch_nbd_preconnect *p, const char *uri, size_t n, unsigned stall_s,
    unsigned wait_s, struct source_wait *w, unsigned *tries, char *errbuf,
    size_t len);

#endif
