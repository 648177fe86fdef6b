/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "util/argv.h"
#include "util/cleanup.h"

static int argv_push(struct argv *a, char *s)
{
  if (a->n + 2 > a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 16;
    char **v = realloc(a->v, cap * sizeof *v);
    if (!v) {
      free(s);
      return -1;
    }
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
  return 0;
}

int argv_add(struct argv *a, const char *s)
{
  char *d = strdup(s);
  if (!d)
    return -1;
  return argv_push(a, d);
}

int argv_addf(struct argv *a, const char *fmt, ...)
{
  va_list ap;
  char *s;
  int r;

  va_start(ap, fmt);
  r = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (r < 0)
    return -1;
  return argv_push(a, s);
}

int argv_addv(struct argv *a, const char *const *list)
{
  for (; list && *list; list++)
    if (argv_add(a, *list) < 0)
      return -1;
  return 0;
}

void argv_free(struct argv *a)
{
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
}

static int needs_quoting(const char *s)
{
  if (!*s)
    return 1;
  for (; *s; s++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789-_./=:,+@%[]", *s))
      return 1;
  return 0;
}

char *argv_join(const struct argv *a)
{
  char *buf = NULL;
  size_t len = 0;
  _cleanup_fclose_ FILE *f = open_memstream(&buf, &len);

  if (!f)
    return NULL;
  for (size_t i = 0; i < a->n; i++) {
    const char *s = a->v[i];
    if (i)
      fputc(' ', f);
    if (!needs_quoting(s)) {
      fputs(s, f);
      continue;
    }
    fputc('\'', f);
    for (; *s; s++) {
      if (*s == '\'')
        fputs("'\\''", f);
      else
        fputc(*s, f);
    }
    fputc('\'', f);
  }
  if (fclose(f) != 0) {
    f = NULL;
    free(buf);
    return NULL;
  }
  f = NULL;
  return buf;
}
