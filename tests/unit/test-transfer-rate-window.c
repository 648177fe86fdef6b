/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A limited copy keeps a quarter second's worth in flight, so that a
 * new limit (and a cancel) takes effect at once; an unlimited one keeps
 * its whole window.  The rate file is read as nbdkit reads it.  Reads
 * no rate filter paces keep to the limit through a rate_bucket. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "jobs/request.h"
#include "transfer/rate-window.h"
#include "tap.h"

#define KiB 1024ULL
#define MiB (1024ULL * 1024)

int main(void)
{
  char path[] = "/tmp/uch-rate-XXXXXX";
  int fd = mkstemp(path);
  FILE *fp;

  is_int(bandwidth_bits("16M"), 16 * MiB, "M is 2^20, as in nbdkit");
  is_int(bandwidth_bits("8K"), 8 * KiB, "K");
  is_int(bandwidth_bits("1G"), 1024 * MiB, "G");
  is_int(bandwidth_bits("1000"), 1000, "bare bits");
  is_int(bandwidth_bits("fast"), 0, "not a limit");
  is_int(bandwidth_bits("16MB"), 0, "no unit but K, M, G");

  is_int(inflight_window(0, 4, 8 * MiB), 8 * MiB, "no limit: all of it");
  /* 16 Mbit/s is 2 MiB/s: 512 KiB a quarter second, over 4 connections */
  is_int(inflight_window(16 * MiB, 4, 8 * MiB), 128 * KiB, "16M, 4 conns");
  is_int(inflight_window(16 * MiB, 1, 8 * MiB), 512 * KiB, "16M, 1 conn");
  is_int(inflight_window(8 * KiB, 4, 8 * MiB), 64 * KiB,
         "a tiny limit still reads 64 KiB at a time");
  is_int(inflight_window(10 * 1024 * MiB, 4, 8 * MiB), 8 * MiB,
         "a high limit: no more than the whole");

  /* the pace of reads no rate filter paces: 8 Mbit/s is 10^6 bytes/s */
  struct rate_bucket b = { 0 };
  ok(rate_bucket_take(&b, 0, MiB, 5.0) == 0, "no limit: at once");
  ok(rate_bucket_take(&b, 8000000, MiB, 10.0) > 0, "empty at first: a wait");
  ok(rate_bucket_take(&b, 8000000, MiB, 10.05) == 0,
     "not empty (50 ms filled it): the read goes");
  double w = rate_bucket_take(&b, 8000000, MiB, 10.06);
  ok(w > 0.98 && w < 0.99, "below zero by the read: the time it takes to "
     "fill, %.3f s", w);
  ok(rate_bucket_take(&b, 8000000, MiB, 10.06 + w + 0.001) == 0,
     "then it goes");
  rate_bucket_take(&b, 8000000, 1, 100.0);
  ok(b.tokens < 100000, "idle a long time: a tenth of a second's worth "
     "at most (%.0f bytes)", b.tokens);
  b = (struct rate_bucket){ .tokens = -1000000, .last = 200.0 };
  w = rate_bucket_take(&b, 80000000, MiB, 200.0);
  ok(w > 0.099 && w < 0.101, "a new limit: the wait at it (%.3f s)", w);

  is_int(rate_file_bits("/nonexistent/rate"), 0, "no file: no limit");
  if (fd < 0 || !(fp = fdopen(fd, "w")))
    abort();
  fputs("200M\n", fp);
  fclose(fp);
  is_int(rate_file_bits(path), 200 * MiB, "the file's limit, newline and all");

  /* a pacer follows its file, read again about once a second */
  struct rate_pacer none = { 0 };
  ok(rate_pacer_take(&none, MiB, 1.0) == 0, "no file: at once");
  struct rate_pacer p = { .file = path };
  rate_pacer_take(&p, 1, 50.0);
  is_int(p.bits, 200 * MiB, "read at the first take");
  if (!(fp = fopen(path, "w")))
    abort();
  fputs("8M\n", fp);
  fclose(fp);
  rate_pacer_take(&p, 1, 50.5);
  is_int(p.bits, 200 * MiB, "not again within the second");
  rate_pacer_take(&p, 1, 51.0);
  is_int(p.bits, 8 * MiB, "again a second later: the new limit");
  unlink(path);
  return tap_done();
}
