/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "util/timeutil.h"

void time_rfc3339_now(char buf[RFC3339_LEN])
{
  struct timespec ts;
  struct tm tm;

  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, RFC3339_LEN - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

double time_monotonic(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int time_retry_pause(double since, unsigned wait_s, unsigned pause_ms,
                     bool (*stop)(void *opaque), void *opaque)
{
  const struct timespec pause = { pause_ms / 1000,
                                  (long)(pause_ms % 1000) * 1000000L };

  if (time_monotonic() - since >= wait_s) {
    errno = ETIMEDOUT;
    return -1;
  }
  nanosleep(&pause, NULL);
  if (stop && stop(opaque)) {
    errno = ECANCELED;
    return -1;
  }
  return 0;
}
