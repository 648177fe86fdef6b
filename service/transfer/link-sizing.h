/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How many requests a copy keeps in flight across a network, from the
 * link's bandwidth-delay product.  A network source (nbd://, nbds://)
 * is read through nbdkit's nbd plugin behind UCH's reconnect filter
 * (filters/reconnect.c), which lets each connection carry many reads at
 * once.  (nbdkit's retry filter, used before, serializes requests: ONE
 * read per connection on the wire, so a copy 100 ms away needed a dozen
 * connections and still left the link idle: bench/README.md, "Across a
 * WAN".)  What is in flight across the link is connections x reads x
 * request size.
 *
 * The round trip is given (the request's link.rtt_ms) or measured when
 * the copy connects (the fastest of a few 4 KiB reads through the same
 * nbdkit).  The bandwidth is the request's link.bandwidth, else the
 * job's own limit, else LINK_ASSUMED_BITS.  The copy then keeps twice
 * the bandwidth-delay product plus two reads in flight (64 MiB at
 * most): the LAN's 4 connections of 1 MiB reads, more reads each (up
 * to 16), then more connections (up to max_conns), and larger reads
 * only past those.  With the bandwidth unknown each connection keeps
 * at least the LAN's 8 reads; with it known (the link's or the job's
 * limit), at least 2, so that a changed limit soon applies. */
#ifndef UCH_LINK_SIZING_H
#define UCH_LINK_SIZING_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <libnbd.h>

/* what a link of unknown bandwidth is taken to carry: 1 Gbit/s */
#define LINK_ASSUMED_BITS 1000000000ULL
#define LINK_CONNS_MIN 4
#define LINK_CONNS_MAX 16
#define LINK_REQUEST_MIN (1u << 20)

enum link_bits_from { BITS_LINK, BITS_LIMIT, BITS_ASSUMED };

struct link_sizing {
  double rtt_ms;
  bool rtt_given;              /* the request's, else measured */
  uint64_t bits;               /* bits per second reckoned with */
  enum link_bits_from bits_from;
  uint64_t bdp;                /* bytes: bits / 8 x rtt */
  unsigned connections;
  unsigned requests;           /* queued per connection */
  uint32_t request_size;       /* a power of two */
  uint64_t in_flight;          /* connections x requests x size */
};

/* link_bits, limit_bits: 0 when unknown. */
void link_sizing_compute(struct link_sizing *s, double rtt_ms, bool rtt_given,
                         uint64_t link_bits, uint64_t limit_bits,
                         unsigned max_conns, uint32_t max_request);

/* The sizing as the job's result shows it (disks[i].sizing). */
json_object *link_sizing_json(const struct link_sizing *s);

/* The round trip to the server behind nbd in ms: the fastest of a few
 * 4 KiB reads at offset 0, sent together; -1 when a read fails, -2 when
 * one took more than 3 s (it is still in flight: close the handle
 * without waiting).  A copy whose round trip could not be measured is
 * sized as on a LAN.  link_rtt_probe_start() sends them and returns
 * (-1: none could be sent); each answer is timed in whichever
 * nbd_poll() on nbd reads it, so the caller may wait on other commands
 * meanwhile (the source's extents: one round trip for both, where one
 * after the other took four); link_rtt_probe_end() waits for the rest
 * and gives the round trip as link_rtt_probe() does.  The struct stays
 * in place until then, or until the handle is closed. */
#define LINK_PROBES 3
#define LINK_PROBE_LEN 4096

struct link_probe {
  double sent;               /* time_monotonic() */
  double best;               /* ms, -1 none yet */
  int left;                  /* in flight */
  bool failed;
  char buf[LINK_PROBES][LINK_PROBE_LEN];
};

int link_rtt_probe_start(struct nbd_handle *nbd, struct link_probe *p);
double link_rtt_probe_end(struct nbd_handle *nbd, struct link_probe *p);
double link_rtt_probe(struct nbd_handle *nbd);

#endif
