/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_format.h"

/* Wider terminals get a longer line, not a longer bar. */
#define BAR_MAX 60

void format_bytes(uint64_t n, char *buf, size_t len)
{
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
                                       "EiB" };
  double v = (double)n;
  size_t u = 0;

  if (n < 1024) {
    snprintf(buf, len, "%llu B", (unsigned long long)n);
    return;
  }
  v /= 1024;
  /* 1023.95 and up would print as "1024.0": that is the next unit. */
  while (v >= 1023.95 && u + 1 < sizeof units / sizeof *units) {
    v /= 1024;
    u++;
  }
  snprintf(buf, len, "%.1f %s", v, units[u]);
}

void format_percent(double percent, char *buf, size_t len)
{
  if (isnan(percent) || percent < 0)
    percent = 0;
  if (percent > 100)
    percent = 100;
  snprintf(buf, len, "%.1f%%", percent);
}

void format_time_short(const char *rfc3339, char *buf, size_t len)
{
  size_t n = rfc3339 ? strlen(rfc3339) : 0;

  if (n >= 19 && rfc3339[10] == 'T' && rfc3339[n - 1] == 'Z')
    snprintf(buf, len, "%.10s %.8s", rfc3339, rfc3339 + 11);
  else
    snprintf(buf, len, "%s", rfc3339 ? rfc3339 : "-");
}

int table_init(struct table *t, const char *const *headers, size_t ncols)
{
  t->ncols = ncols;
  t->nrows = 0;
  t->cells = NULL;
  return table_add_row(t, headers);
}

int table_add_row(struct table *t, const char *const *cells)
{
  char **c = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *c);

  if (!c)
    return -1;
  t->cells = c;
  c += t->nrows * t->ncols;
  for (size_t i = 0; i < t->ncols; i++) {
    c[i] = strdup(cells[i] ? cells[i] : "-");
    if (!c[i]) {
      while (i-- > 0)
        free(c[i]);
      return -1;
    }
  }
  t->nrows++;
  return 0;
}

char *table_render(const struct table *t)
{
  size_t width[t->ncols > 0 ? t->ncols : 1];
  char *out = NULL;
  size_t outlen = 0;
  FILE *f = open_memstream(&out, &outlen);

  if (!f)
    return NULL;
  for (size_t j = 0; j < t->ncols; j++) {
    width[j] = 0;
    for (size_t i = 0; i < t->nrows; i++) {
      size_t w = strlen(t->cells[i * t->ncols + j]);
      if (w > width[j])
        width[j] = w;
    }
  }
  for (size_t i = 0; i < t->nrows; i++) {
    for (size_t j = 0; j < t->ncols; j++) {
      const char *cell = t->cells[i * t->ncols + j];
      if (j + 1 < t->ncols)
        fprintf(f, "%-*s  ", (int)width[j], cell);
      else
        fputs(cell, f);
    }
    fputc('\n', f);
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

void table_free(struct table *t)
{
  for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  t->cells = NULL;
  t->nrows = 0;
}

void progress_bar_render(char *buf, size_t len, int width, const char *label,
                         double percent, uint64_t done, uint64_t total)
{
  char pct[16], d[32], tot[32], tail[96];
  int room;

  if (len == 0)
    return;
  format_percent(percent, pct, sizeof pct);
  format_bytes(done, d, sizeof d);
  format_bytes(total, tot, sizeof tot);
  /* Fixed widths, so the bar does not change length as numbers grow. */
  snprintf(tail, sizeof tail, "%6s  %9s / %9s", pct, d, tot);

  /* label + " [" + bar + "] " + tail, within width - 1 */
  room = width - 1 - (int)strlen(label) - 4 - (int)strlen(tail);
  if (room >= 10) {
    char bar[BAR_MAX + 1];
    int n = room < BAR_MAX ? room : BAR_MAX;
    int filled;

    if (isnan(percent) || percent < 0)
      percent = 0;
    filled = percent >= 100 ? n : (int)(percent / 100 * n);
    memset(bar, '#', filled);
    memset(bar + filled, '-', n - filled);
    bar[n] = '\0';
    snprintf(buf, len, "%s [%s] %s", label, bar, tail);
  }
  else
    snprintf(buf, len, "%s %s", label, tail);

  if (width > 0 && strlen(buf) > (size_t)(width - 1))
    buf[width - 1] = '\0';
}
