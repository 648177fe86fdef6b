/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "limits": {"bandwidth": BW, "cpu": PERCENT, "io": WEIGHT} of a copy
 * request, and the body of
 * PATCH /v1/jobs/{id} that changes them while the job runs.  BW is what
 * nbdkit's rate filter reads: bits per second, K/M/G meaning 2^10, 2^20,
 * 2^30 as in nbdkit_parse_size(3). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/request_check.h"

bool bandwidth_valid(const char *s)
{
  size_t n = 0;

  if (!s || *s < '1' || *s > '9')
    return false;
  while (isdigit((unsigned char)s[n]))
    n++;
  if (n > 12)
    return false;
  if (s[n] == 'K' || s[n] == 'M' || s[n] == 'G')
    n++;
  return s[n] == '\0';
}

uint64_t bandwidth_bits(const char *s)
{
  char *end;
  unsigned long long v;

  if (!bandwidth_valid(s))
    return 0;
  v = strtoull(s, &end, 10);
  switch (*end) {
  case 'K': return v << 10;
  case 'M': return v << 20;
  case 'G': return v << 30;
  default:  return v;
  }
}

int parse_limits(struct rq_ctx *c, json_object *o, const char *parent,
                 struct rq_limits *out)
{
  static const char *const keys[] = { "bandwidth", "cpu", "io", NULL };
  json_object *limits = NULL;
  const char *bw = NULL;
  int64_t cpu = 0, io = 0;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (get_object(c, o, parent, "limits", false, &limits) < 0)
    return -1;
  if (!limits)
    return 0;
  field_key(f, parent, "limits");
  /* cpu: percent of one CPU (CPUQuota=), io: IOWeight=; both for the
   * worker's systemd unit (uchd/worker-unit.c) */
  if (check_known_keys(c, limits, f, keys) < 0 ||
      get_string(c, limits, f, "bandwidth", false, &bw) < 0 ||
      get_int(c, limits, f, "cpu", false, 1, 100000, &cpu) < 0 ||
      get_int(c, limits, f, "io", false, 1, 10000, &io) < 0)
    return -1;
  if (bw && !bandwidth_valid(bw)) {
    char g[FIELD_MAX];
    field_key(g, f, "bandwidth");
    return rq_fail(c, g, "must be bits per second: a number, optionally "
                   "followed by K, M or G (\"50M\")");
  }
  *out = (struct rq_limits){ .bandwidth = bw, .cpu_percent = (unsigned)cpu,
                             .io_weight = (unsigned)io };
  return 0;
}

int parse_link(struct rq_ctx *c, json_object *o, const char *parent,
               struct rq_link *out)
{
  static const char *const keys[] = { "bandwidth", "rtt_ms", NULL };
  json_object *link = NULL;
  const char *bw = NULL;
  int64_t rtt = -1;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (get_object(c, o, parent, "link", false, &link) < 0)
    return -1;
  if (!link)
    return 0;
  field_key(f, parent, "link");
  if (check_known_keys(c, link, f, keys) < 0 ||
      get_string(c, link, f, "bandwidth", false, &bw) < 0 ||
      get_int(c, link, f, "rtt_ms", false, 0, 10000, &rtt) < 0)
    return -1;
  if (bw && !bandwidth_valid(bw)) {
    char g[FIELD_MAX];
    field_key(g, f, "bandwidth");
    return rq_fail(c, g, "must be the link's bits per second: a number, "
                   "optionally followed by K, M or G (\"200M\")");
  }
  *out = (struct rq_link){ .bandwidth = bw, .bandwidth_bits = bandwidth_bits(bw),
                           .has_rtt = json_object_object_get_ex(link, "rtt_ms",
                                                                NULL),
                           .rtt_ms = rtt < 0 ? 0 : (unsigned)rtt };
  return 0;
}

int request_limits_patch(json_object *body, struct uch_error *err)
{
  static const char *const keys[] = { "limits", NULL };
  struct rq_ctx c = { .err = err };
  json_object *limits = NULL;

  if (!json_object_is_type(body, json_type_object))
    return rq_fail(&c, "", "must be a JSON object");
  if (check_known_keys(&c, body, "", keys) < 0 ||
      get_object(&c, body, "", "limits", true, &limits) < 0)
    return -1;
  /* a running worker's unit keeps the CPU and IO limits it started with */
  if (json_object_object_get_ex(limits, "cpu", NULL))
    return rq_fail(&c, "limits.cpu", "can only be set when the job is submitted");
  if (json_object_object_get_ex(limits, "io", NULL))
    return rq_fail(&c, "limits.io", "can only be set when the job is submitted");
  return parse_limits(&c, body, "", &(struct rq_limits){ 0 });
}
