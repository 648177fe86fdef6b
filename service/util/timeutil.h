/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UCH_TIMEUTIL_H
#define UCH_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3339 UTC with milliseconds: 2026-11-25T04:13:00.123Z */
#define RFC3339_LEN 32
void time_rfc3339_now(char buf[RFC3339_LEN]);
double time_monotonic(void);

#endif
