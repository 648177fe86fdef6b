/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "transfer/link-sizing.h"
#include "util/timeutil.h"

#define PROBE_TIMEOUT_S 3

static const char *const from_name[] = {
  [BITS_LINK] = "link", [BITS_LIMIT] = "limits", [BITS_ASSUMED] = "assumed",
};

#define BUFFERS_MAX (64ULL << 20)

void link_sizing_compute(struct link_sizing *s, double rtt_ms, bool rtt_given,
                         uint64_t link_bits, uint64_t limit_bits,
                         unsigned max_conns, uint32_t max_request)
{
  uint64_t want, size = LINK_REQUEST_MIN, conns = LINK_CONNS_MIN, r, lan;

  if (max_conns < 1)
    max_conns = 1;
  if (max_request < LINK_REQUEST_MIN)
    max_request = LINK_REQUEST_MIN;
  if (rtt_ms < 0)
    rtt_ms = 0;
  s->rtt_ms = rtt_ms;
  s->rtt_given = rtt_given;
  /* the slower of the link and the job's limit is what flows */
  if (link_bits && (!limit_bits || link_bits <= limit_bits)) {
    s->bits = link_bits;
    s->bits_from = BITS_LINK;
  } else if (limit_bits) {
    s->bits = limit_bits;
    s->bits_from = BITS_LIMIT;
  } else {
    s->bits = LINK_ASSUMED_BITS;
    s->bits_from = BITS_ASSUMED;
  }
  s->bdp = (uint64_t)((double)s->bits / 8 * rtt_ms / 1000);
  /* while one read crosses the link the others must fill it: twice the
   * product (for the jitter of a busy host and the hop through nbdkit)
   * plus two reads (the one arriving, and the one waiting in nbdkit's
   * rate filter under a limit); 64 MiB of buffers at most */
  want = 2 * s->bdp + 2 * size;
  if (want > BUFFERS_MAX)
    want = BUFFERS_MAX;
  if (conns > max_conns)
    conns = max_conns;
  /* the reads a connection carries at once (the reconnect filter does
   * not serialize them): what the product needs, and at least the
   * LAN's 8 MiB when nothing says how fast the link is, or two when the
   * link or the job's limit does (reads queued past the link's rate
   * wait in the rate filter, where a new limit reaches them late) */
  lan = s->bits_from == BITS_ASSUMED ? (8u << 20) / size : 2;
  r = (want + conns * size - 1) / (conns * size);
  /* past 16 reads a connection, more connections, then larger reads */
  while (r > 16 && conns < max_conns) {
    conns++;
    r = (want + conns * size - 1) / (conns * size);
  }
  while (r > 16 && size < max_request) {
    size *= 2;
    r = (want + conns * size - 1) / (conns * size);
  }
  if (r < lan)
    r = lan;
  s->connections = (unsigned)conns;
  s->request_size = (uint32_t)size;
  s->requests = (unsigned)r;
  s->in_flight = conns * r * size;
}

json_object *link_sizing_json(const struct link_sizing *s)
{
  json_object *o = json_object_new_object();
  char how[256];

  json_object_object_add(o, "rtt_ms", json_object_new_double(
                           (double)(int64_t)(s->rtt_ms * 10) / 10));
  json_object_object_add(o, "rtt_from", json_object_new_string(
                           s->rtt_given ? "link" : "measured"));
  json_object_object_add(o, "bandwidth_bits",
                         json_object_new_int64((int64_t)s->bits));
  json_object_object_add(o, "bandwidth_from",
                         json_object_new_string(from_name[s->bits_from]));
  json_object_object_add(o, "bdp_bytes", json_object_new_int64((int64_t)s->bdp));
  json_object_object_add(o, "connections",
                         json_object_new_int((int)s->connections));
  json_object_object_add(o, "requests", json_object_new_int((int)s->requests));
  json_object_object_add(o, "request_size",
                         json_object_new_int64(s->request_size));
  json_object_object_add(o, "in_flight_bytes",
                         json_object_new_int64((int64_t)s->in_flight));
  snprintf(how, sizeof how, "%u connections x %u reads of %u KiB on the "
           "link >= 2 x %llu bytes (%llu bit/s x %.1f ms) + 2 reads",
           s->connections, s->requests, s->request_size >> 10,
           (unsigned long long)s->bdp, (unsigned long long)s->bits,
           s->rtt_ms);
  json_object_object_add(o, "reckoned", json_object_new_string(how));
  return o;
}

/* A probe's answer, timed as libnbd reads it (in whichever nbd_poll()
 * the caller is in), then retired. */
static int probe_done(void *opaque, int *error)
{
  struct link_probe *p = opaque;
  double ms = (time_monotonic() - p->sent) * 1000;

  if (*error)
    p->failed = true;
  else if (p->best < 0 || ms < p->best)
    p->best = ms;
  p->left--;
  return 1;
}

int link_rtt_probe_start(struct nbd_handle *nbd, struct link_probe *p)
{
  int64_t size = nbd_get_size(nbd);
  nbd_completion_callback cb = { .callback = probe_done, .user_data = p };

  *p = (struct link_probe){ .best = -1, .sent = time_monotonic() };
  if (size < LINK_PROBE_LEN) {
    p->failed = true;
    return -1;
  }
  for (int i = 0; i < LINK_PROBES; i++) {
    if (nbd_aio_pread(nbd, p->buf[i], LINK_PROBE_LEN, 0, cb, 0) < 0) {
      p->failed = true;
      return p->left ? 0 : -1;          /* those sent are waited for */
    }
    p->left++;
  }
  return 0;
}

double link_rtt_probe_end(struct nbd_handle *nbd, struct link_probe *p)
{
  /* a source that stops answering is the copy's to judge (its stall
   * timeout), not the probe's to wait on */
  while (p->left > 0) {
    if (time_monotonic() - p->sent > PROBE_TIMEOUT_S)
      return -2;
    if (nbd_poll(nbd, 100) < 0)
      return -1;
  }
  return p->failed ? -1 : p->best;
}

double link_rtt_probe(struct nbd_handle *nbd)
{
  struct link_probe p;

  if (link_rtt_probe_start(nbd, &p) < 0)
    return -1;
  return link_rtt_probe_end(nbd, &p);
}
