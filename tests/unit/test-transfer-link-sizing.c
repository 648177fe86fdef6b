/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A copy across a network keeps twice the bandwidth-delay product plus
 * two reads in flight, many reads a connection (UCH's reconnect filter
 * does not serialize them), the bandwidth being the link's, else the
 * job's limit, else assumed; on a LAN it keeps what it always kept. */
#include <string.h>

#include "transfer/link-sizing.h"
#include "tap.h"

#define MiB (1024ULL * 1024)

int main(void)
{
  struct link_sizing s;
  json_object *o;

  link_sizing_compute(&s, 0.2, false, 0, 0, 16, 8 * MiB);
  is_int(s.connections, 4, "LAN: 4 connections");
  is_int(s.request_size, MiB, "LAN: 1 MiB reads");
  is_int(s.requests, 8, "LAN: 8 queued each, as before");
  is_int(s.bits_from, BITS_ASSUMED, "no bandwidth known: assumed");

  /* 200 Mbit/s at 100 ms: 2.5 MB in flight needed, twice that + 1 MiB */
  link_sizing_compute(&s, 100, false, 200000000, 0, 16, 8 * MiB);
  is_int(s.bdp, 2500000, "bdp of 200 Mbit/s x 100 ms");
  is_int(s.connections, 4, "the LAN's 4 connections");
  is_int(s.requests, 2, "2 reads of 1 MiB each");
  ok(s.in_flight >= 2 * s.bdp + 2 * s.request_size,
     "in flight >= 2 bdp + 2 reads");
  is_int(s.in_flight, 8 * MiB, "in flight: connections x reads x size");
  is_int(s.bits_from, BITS_LINK, "the link's bandwidth");

  link_sizing_compute(&s, 100, true, 400000000, 200000000, 16, 8 * MiB);
  is_int(s.bits, 200000000, "a lower job limit is what flows");
  is_int(s.bits_from, BITS_LIMIT, "from limits");

  /* 1 Gbit/s assumed at 100 ms: 25 MB; the LAN's 32 MiB hold it */
  link_sizing_compute(&s, 100, false, 0, 0, 16, 8 * MiB);
  is_int(s.request_size, MiB, "1 MiB reads");
  is_int(s.connections, 4, "4 connections");
  is_int(s.requests, 8, "8 reads each");
  ok(s.in_flight >= 2 * s.bdp, "in flight >= 2 bdp");

  /* 1 Gbit/s at 200 ms: 50 MB, 13 reads on each of 4 connections */
  link_sizing_compute(&s, 200, false, 1000000000, 0, 16, 8 * MiB);
  is_int(s.connections, 4, "200 ms: 4 connections");
  is_int(s.requests, 13, "200 ms: 13 reads each");
  ok(s.in_flight >= 2 * s.bdp + 2 * s.request_size, "in flight >= 2 bdp + 2");

  /* a server of one connection: larger reads past 16 */
  link_sizing_compute(&s, 300, false, 0, 0, 1, 32 * MiB);
  is_int(s.connections, 1, "never past max_conns");
  is_int(s.request_size, 4 * MiB, "one connection: 4 MiB reads");
  is_int(s.requests, 16, "16 of them");
  /* a link beyond what can be sized: 64 MiB of buffers at most */
  link_sizing_compute(&s, 10000, false, 0, 0, 4, 32 * MiB);
  is_int(s.connections, 4, "4 connections");
  ok(s.in_flight <= 64 * MiB, "at most 64 MiB of buffers");

  link_sizing_compute(&s, 100, true, 200000000, 0, 16, 8 * MiB);
  o = link_sizing_json(&s);
  is_str(json_object_get_string(json_object_object_get(o, "rtt_from")), "link",
         "a given rtt says so");
  is_int(json_object_get_int(json_object_object_get(o, "connections")), 4,
         "the json has the connections");
  ok(strstr(json_object_get_string(json_object_object_get(o, "reckoned")),
            "2 reads of 1024 KiB") != NULL, "and how it was reckoned");
  json_object_put(o);
  return tap_done();
}
