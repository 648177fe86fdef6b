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
/* The same with a rate and ETA after the sizes (format_rate_eta), when
 * `rate_eta` is neither NULL nor empty; the bar goes first when the
 * width is short. */
void progress_bar_render_rate(char *buf, size_t len, int width,
                              const char *label, double percent, uint64_t done,
                              uint64_t total, const char *rate_eta);

/* The rate of a counter of bytes seen at a few moments: over the last
 * RATE_WINDOW_S seconds of samples.  A counter that goes back (another
 * phase, another pass) starts the window again. */
#define RATE_SAMPLES 64
#define RATE_WINDOW_S 8.0
struct rate_est {
  double t[RATE_SAMPLES];
  uint64_t b[RATE_SAMPLES];
  size_t first, n;
};
void rate_sample(struct rate_est *e, double now, uint64_t bytes);
/* Bytes per second; < 0 while there is not yet a second of samples. */
double rate_get(const struct rate_est *e);

/* "12.3 MiB/s  ETA 1:02:03" ("0:42" under an hour); "-" for a rate
 * below 0 (not known yet), no ETA when nothing is left or the rate is 0. */
void format_rate_eta(double rate, uint64_t remaining, char *buf, size_t len);

#endif
