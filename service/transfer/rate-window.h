/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How much a copy keeps in flight under a bandwidth limit.  Reads wait
 * in nbdkit's rate filter, and the filter applies a new limit (PATCH
 * /v1/jobs/{id}) only to the reads that arrive after it: with the usual
 * 32 MiB in flight at 16 Mbit/s, a change took 16 s to show, and a
 * checkpoint or cancel waited as long.  So a limited copy keeps about a
 * quarter second's worth in flight.  (A network source, read without
 * nbdkit, is paced by the copy itself: resumable.c.) */
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

#endif
