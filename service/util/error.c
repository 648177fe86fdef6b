/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

void uch_error_set(struct uch_error *e, const char *code, const char *field,
                   const char *fmt, ...)
{
  va_list ap;
  char words[sizeof e->message - sizeof e->field - 2];

  if (!e)
    return;
  snprintf(e->code, sizeof e->code, "%s", code);
  snprintf(e->field, sizeof e->field, "%s", field ? field : "");
  va_start(ap, fmt);
  vsnprintf(words, sizeof words, fmt, ap);
  va_end(ap);
  /* The message names the field first, as in "destination.path: must be
   * an absolute path", so that it reads well on its own. */
  if (field && *field)
    snprintf(e->message, sizeof e->message, "%s: %s", field, words);
  else
    snprintf(e->message, sizeof e->message, "%s", words);
}
