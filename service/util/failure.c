/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "util/failure.h"

void failure_set(struct job_failure *f, const char *code, const char *fmt, ...)
{
  va_list ap;

  snprintf(f->code, sizeof f->code, "%s", code);
  va_start(ap, fmt);
  vsnprintf(f->message, sizeof f->message, fmt, ap);
  va_end(ap);
}
