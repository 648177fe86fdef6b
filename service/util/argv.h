/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable, NULL-terminated argument vector.  Every external command
 * line is built into one of these by a function that unit tests call. */
#ifndef UCH_ARGV_H
#define UCH_ARGV_H

#include <stddef.h>

struct argv {
  char **v;        /* always NULL-terminated once anything was added */
  size_t n;
  size_t cap;
};

int argv_add(struct argv *a, const char *s);
int argv_addf(struct argv *a, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
int argv_addv(struct argv *a, const char *const *list);
void argv_free(struct argv *a);
static inline void argv_freep(struct argv *a) { argv_free(a); }
#define _cleanup_argv_ __attribute__((cleanup(argv_freep)))

/* One line, shell-quoted where needed, for logs and tests. */
char *argv_join(const struct argv *a);

#endif
