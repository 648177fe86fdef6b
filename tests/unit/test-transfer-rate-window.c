/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A limited copy keeps a quarter second's worth in flight, so that a
 * new limit (and a cancel) takes effect at once; an unlimited one keeps
 * its whole window.  The rate file is read as nbdkit reads it. */
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

  is_int(rate_file_bits("/nonexistent/rate"), 0, "no file: no limit");
  if (fd < 0 || !(fp = fdopen(fd, "w")))
    abort();
  fputs("200M\n", fp);
  fclose(fp);
  is_int(rate_file_bits(path), 200 * MiB, "the file's limit, newline and all");
  unlink(path);
  return tap_done();
}
