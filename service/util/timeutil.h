/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UCH_TIMEUTIL_H
#define UCH_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 3339 UTC with milliseconds: 2026-11-25T04:13:00.123Z */
#define RFC3339_LEN 32
void time_rfc3339_now(char buf[RFC3339_LEN]);
double time_monotonic(void);

/* A wait that tries something again (begun at SINCE, time_monotonic()),
 * after a failed try: 0 after a pause of PAUSE_MS, to try again; -1
 * with errno ETIMEDOUT once WAIT_S has passed since SINCE (no pause),
 * or ECANCELED when STOP(OPAQUE) (may be NULL) says so after the
 * pause. */
int time_retry_pause(double since, unsigned wait_s, unsigned pause_ms,
                     bool (*stop)(void *opaque), void *opaque);

#endif
