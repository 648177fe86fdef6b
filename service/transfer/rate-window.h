/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How much a copy keeps in flight under a bandwidth limit.  Reads wait
 * in nbdkit's rate filter, and the filter applies a new limit (PATCH
 * /v1/jobs/{id}) only to the reads that arrive after it: with the usual
 * 32 MiB in flight at 16 Mbit/s, a change took 16 s to show, and a
 * checkpoint or cancel waited as long.  So a limited copy keeps about a
 * quarter second's worth in flight.  (A network source, read without
 * nbdkit, is paced by the worker itself: struct rate_bucket.) */
#ifndef UCH_RATE_WINDOW_H
#define UCH_RATE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* The limit in the rate file at `path` in bits per second; 0 when there
 * is none (no file, or not a limit). */
uint64_t rate_file_bits(const char *path);

/* Bytes one of `conns` connections may have in flight at that limit, at
 * most `max` (the whole when there is no limit). */
size_t inflight_window(uint64_t bits_per_s, size_t conns, size_t max);

/* The pace of reads that no nbdkit rate filter paces (a network source
 * read by the worker itself: a copy's connections, a warm pass,
 * verify): a bucket of bytes that fills at the limit, up to a tenth of
 * a second's worth.  A read of n bytes goes once the bucket is not
 * empty, taking n from it (so it may go below zero by a read: reads
 * larger than a tenth of a second).  Zeroed, a bucket is empty and
 * counts from its first take. */
struct rate_bucket {
  double tokens;            /* bytes that may be sent */
  double last;              /* when they were counted, 0 never */
};

/* n bytes at the limit of the moment (0: none) at time `now`: 0 when
 * they may go now (taken from the bucket), else the seconds until they
 * may (nothing taken: ask again then, at the limit of that moment). */
double rate_bucket_take(struct rate_bucket *b, uint64_t bits_per_s,
                        size_t n, double now);

/* A bucket at the limit in a job's rate file, read again about once a
 * second (PATCH /v1/jobs/{id} rewrites it): the pace of one reader that
 * waits on its own (a warm pass, verify).  Zeroed but for `file`. */
struct rate_pacer {
  const char *file;         /* the rate file, or NULL: no limit */
  uint64_t bits;            /* its limit when last read */
  double read_at;           /* then, 0 never */
  struct rate_bucket bucket;
};

/* rate_bucket_take() at the file's limit of the moment. */
double rate_pacer_take(struct rate_pacer *p, size_t n, double now);

#endif
