/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "transfer/link-sizing.h"
#include "transfer/nbdcopy.h"
#include "transfer/tool-argv.h"

int nbdcopy_argv(struct argv *a, int progress_fd, bool destination_is_zero,
                 bool rate_limited, const struct link_sizing *sz,
                 const char *src, const char *dst)
{
  if (argv_add(a, "nbdcopy") < 0 || argv_add(a, "--flush") < 0 ||
      argv_addf(a, "--progress=%d", progress_fd) < 0)
    return -1;
  if (destination_is_zero && argv_add(a, "--destination-is-zero") < 0)
    return -1;
  /* nbdcopy's own 64 MiB in flight would wait in the rate filter, which
   * applies a new limit only to reads arriving after it (rate-window.h):
   * 1 MiB in flight instead. */
  if (sz) {
    /* across a network the link's sizing, the limit included */
    if (argv_addf(a, "--connections=%u", sz->connections) < 0 ||
        argv_addf(a, "--threads=%u", sz->connections) < 0 ||
        argv_addf(a, "--requests=%u", sz->requests) < 0 ||
        argv_addf(a, "--request-size=%u", sz->request_size) < 0)
      return -1;
  } else if (rate_limited && (argv_add(a, "--connections=1") < 0 ||
                              argv_add(a, "--requests=4") < 0))
    return -1;
  if (argv_add(a, src) < 0 || argv_add(a, dst) < 0)
    return -1;
  return 0;
}

void progress_parser_init(struct progress_parser *p)
{
  p->len = 0;
  p->overlong = false;
}

/* A line is "N/100"; anything else (or a line too long to be one) is
 * ignored. */
static int progress_line(const char *line)
{
  char *end;
  long n;

  if (line[0] < '0' || line[0] > '9')
    return -1;
  n = strtol(line, &end, 10);
  if (strcmp(end, "/100") != 0 || n < 0 || n > 100)
    return -1;
  return (int)n;
}

int progress_feed(struct progress_parser *p, const char *data, size_t len)
{
  int last = -1;

  for (size_t i = 0; i < len; i++) {
    char c = data[i];
    if (c == '\n') {
      if (!p->overlong) {
        p->buf[p->len] = '\0';
        int n = progress_line(p->buf);
        if (n >= 0)
          last = n;
      }
      p->len = 0;
      p->overlong = false;
    } else if (p->len < sizeof p->buf - 1) {
      p->buf[p->len++] = c;
    } else {
      p->overlong = true;
    }
  }
  return last;
}
