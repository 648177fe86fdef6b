/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Text output of uchctl that does not depend on the server: byte sizes,
 * tables, progress bars.  Pure functions, so unit tests pin them down. */
#ifndef UCH_CTL_FORMAT_H
#define UCH_CTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "0 B", "512 B", "1.5 KiB", "3.0 GiB". */
void format_bytes(uint64_t n, char *buf, size_t len);

/* "42.5%"; NaN or negative as "0.0%", above 100 as "100.0%". */
void format_percent(double percent, char *buf, size_t len);

/* "2026-11-25T04:13:00.123Z" as "2026-11-25 04:13:00"; anything else
 * (or NULL, shown "-") as is. */
void format_time_short(const char *rfc3339, char *buf, size_t len);

/* A table with a header row, columns separated by two spaces, every
 * column but the last padded to its widest cell. */
struct table {
  size_t ncols;
  size_t nrows;              /* including the header */
  char **cells;              /* nrows * ncols, owned */
};

int table_init(struct table *t, const char *const *headers, size_t ncols);
/* Copies `ncols` cells; NULL cells print as "-". */
int table_add_row(struct table *t, const char *const *cells);
/* One line per row, each ending in '\n'.  Caller frees. */
char *table_render(const struct table *t);
void table_free(struct table *t);

/* One progress line, no '\r' and no newline, at most width - 1 columns
 * (the last column would make a terminal wrap):
 *   LABEL [#########---------]  42.5%  1.2 GiB / 3.0 GiB
 * The bar is left out when fewer than 10 columns are left for it, and the
 * line is cut at width - 1 when even that does not fit. */
void progress_bar_render(char *buf, size_t len, int width, const char *label,
                         double percent, uint64_t done, uint64_t total);

#endif
