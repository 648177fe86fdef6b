/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nbdcopy's "N/100" lines arrive in pieces, several at once, or mixed
 * with junk; only complete valid lines count. */
#include <string.h>

#include "transfer/nbdcopy.h"
#include "tap.h"

static int feed(struct progress_parser *p, const char *s)
{
  return progress_feed(p, s, strlen(s));
}

int main(void)
{
  struct progress_parser p;
  char longline[100];

  progress_parser_init(&p);
  is_int(feed(&p, "0/100\n"), 0, "one line");
  is_int(feed(&p, "4"), -1, "a partial line is not a value");
  is_int(feed(&p, "2/1"), -1, "still partial");
  is_int(feed(&p, "00\n"), 42, "completed across three reads");
  is_int(feed(&p, "43/100\n44/100\n45/100\n"), 45, "several lines: the last");
  is_int(feed(&p, "46/100\n47/1"), 46, "last complete line wins");
  is_int(feed(&p, "00\n"), 47, "then the rest");
  is_int(feed(&p, "hello\n"), -1, "junk ignored");
  is_int(feed(&p, "50/200\n101/100\n-1/100\n/100\n"), -1, "bad values ignored");
  is_int(feed(&p, "\n\n"), -1, "empty lines ignored");
  memset(longline, '9', sizeof longline);
  is_int(progress_feed(&p, longline, sizeof longline), -1, "overlong: nothing");
  is_int(feed(&p, "/100\n"), -1, "overlong line ending is not a value");
  is_int(feed(&p, "100/100\n"), 100, "and parsing goes on");
  return tap_done();
}
