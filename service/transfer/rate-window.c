/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "jobs/request.h"
#include "transfer/rate-window.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define WINDOW_MS 250
#define WINDOW_MIN (64u << 10)
#define RATE_BURST_S 0.1

uint64_t rate_file_bits(const char *path)
{
  _cleanup_free_ char *text = NULL;
  size_t len;

  if (read_file(path, &text, &len) < 0)
    return 0;
  text[strcspn(text, "\n")] = '\0';
  return bandwidth_bits(text);
}

size_t inflight_window(uint64_t bits_per_s, size_t conns, size_t max)
{
  uint64_t w;

  if (bits_per_s == 0 || conns == 0)
    return max;
  w = bits_per_s / 8 * WINDOW_MS / 1000 / conns;
  if (w < WINDOW_MIN)
    w = WINDOW_MIN;
  return w < max ? (size_t)w : max;
}

double rate_bucket_take(struct rate_bucket *b, uint64_t bits_per_s,
                        size_t n, double now)
{
  double rate = (double)bits_per_s / 8;

  if (!bits_per_s)
    return 0;
  if (b->last > 0)
    b->tokens += (now - b->last) * rate;
  b->last = now;
  if (b->tokens > rate * RATE_BURST_S)
    b->tokens = rate * RATE_BURST_S;
  if (b->tokens > 0) {
    b->tokens -= (double)n;
    return 0;
  }
  /* empty: until it holds a byte (a millisecond on a first take) */
  return b->tokens < 0 ? -b->tokens / rate : 0.001;
}

double rate_pacer_take(struct rate_pacer *p, size_t n, double now)
{
  if (!p->file)
    return 0;
  if (p->read_at == 0 || now - p->read_at >= 1) {
    p->bits = rate_file_bits(p->file);
    p->read_at = now;
  }
  return rate_bucket_take(&p->bucket, p->bits, n, now);
}
