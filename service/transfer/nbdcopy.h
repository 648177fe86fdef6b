/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nbdcopy --progress=FD writes "N/100\n" lines; this turns a byte
 * stream of them (split anywhere, several per read) into percents. */
#ifndef UCH_NBDCOPY_H
#define UCH_NBDCOPY_H

#include <stdbool.h>
#include <stddef.h>

struct progress_parser {
  char buf[32];
  size_t len;
  bool overlong;
};

void progress_parser_init(struct progress_parser *p);
/* Returns the percent of the last complete line in data, or -1 when no
 * complete valid line ended in it. */
int progress_feed(struct progress_parser *p, const char *data, size_t len);

#endif
