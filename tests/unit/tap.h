/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal TAP for unit tests: each test program prints "ok N - what" or
 * "not ok N - what", then "1..N", and exits non-zero on any failure. */
#ifndef UCH_TAP_H
#define UCH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...)                                              \
  do {                                                                      \
    const char *_g = (got), *_w = (want);                                   \
    int _ok = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                  \
    tap_ok(_ok, __FILE__, __LINE__, __VA_ARGS__);                           \
    if (!_ok)                                                               \
      printf("#   got:  %s\n#   want: %s\n", _g ? _g : "(null)",          \
             _w ? _w : "(null)");                                           \
  } while (0)
#define is_int(got, want, ...)                                              \
  do {                                                                      \
    long long _g = (got), _w = (want);                                      \
    tap_ok(_g == _w, __FILE__, __LINE__, __VA_ARGS__);                      \
    if (_g != _w)                                                           \
      printf("#   got:  %lld\n#   want: %lld\n", _g, _w);                   \
  } while (0)

__attribute__((format(printf, 4, 5)))
static inline void tap_ok(int pass, const char *file, int line,
                          const char *fmt, ...)
{
  va_list ap;
  tap_n++;
  printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (!pass) {
    tap_failed++;
    printf("#   at %s:%d\n", file, line);
  }
}

static inline int tap_done(void)
{
  printf("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
