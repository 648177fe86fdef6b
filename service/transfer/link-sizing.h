/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How many requests a copy keeps in flight across a network, from the
 * link's bandwidth-delay product.  A network source (nbd://, nbds://)
 * is read through nbdkit's nbd plugin behind its retry filter, and the
 * retry filter serializes requests: each connection to that nbdkit has
 * ONE read on the wire at a time, whatever the client queues.  So what
 * is in flight across the link is connections x request size, and a
 * copy 100 ms away with the LAN's 4 connections of 1 MiB moved at most
 * 40 MiB per second (bench/wan: 0.18x of 0 ms for nbdcopy's 256 KiB).
 *
 * The round trip is given (the request's link.rtt_ms) or measured when
 * the copy connects (the fastest of a few 4 KiB reads through the same
 * nbdkit).  The bandwidth is the request's link.bandwidth, else the
 * job's own limit, else LINK_ASSUMED_BITS.  The copy then keeps twice
 * the bandwidth-delay product plus two requests in flight: one request
 * per connection, 1 MiB each, more connections (up to max_conns), and
 * larger requests only past those. */
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
  uint64_t in_flight;          /* across the link: connections x size */
};

/* link_bits, limit_bits: 0 when unknown. */
void link_sizing_compute(struct link_sizing *s, double rtt_ms, bool rtt_given,
                         uint64_t link_bits, uint64_t limit_bits,
                         unsigned max_conns, uint32_t max_request);

/* The sizing as the job's result shows it (disks[i].sizing). */
json_object *link_sizing_json(const struct link_sizing *s);

/* The round trip to the server behind nbd in ms: the fastest of a few
 * 4 KiB reads at offset 0; -1 when a read fails, -2 when one took more
 * than 3 s (it is still in flight: close the handle without waiting).
 * A copy whose round trip could not be measured is sized as on a LAN. */
double link_rtt_probe(struct nbd_handle *nbd);

#endif
