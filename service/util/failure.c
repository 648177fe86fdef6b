/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/failure.h"

void failure_set(struct job_failure *f, const char *code, const char *fmt, ...)
{
  va_list ap;

  snprintf(f->code, sizeof f->code, "%s", code);
  va_start(ap, fmt);
  vsnprintf(f->message, sizeof f->message, fmt, ap);
  va_end(ap);
}

void failure_prefix(struct job_failure *f, const char *fmt, ...)
{
  char head[128], msg[sizeof f->message];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  /* A message cut short still says where it went wrong first. */
  if (snprintf(msg, sizeof msg, "%s%s", head, f->message) < 0)
    return;
  memcpy(f->message, msg, sizeof msg);
}
