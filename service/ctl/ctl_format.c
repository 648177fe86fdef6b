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

void rate_sample(struct rate_est *e, double now, uint64_t bytes)
{
  size_t last = (e->first + e->n - 1) % RATE_SAMPLES;

  if (e->n && bytes < e->b[last])
    e->n = 0;
  if (e->n == RATE_SAMPLES) {
    e->first = (e->first + 1) % RATE_SAMPLES;
    e->n--;
  }
  if (e->n == 0)
    e->first = 0;
  e->t[(e->first + e->n) % RATE_SAMPLES] = now;
  e->b[(e->first + e->n) % RATE_SAMPLES] = bytes;
  e->n++;
  /* the window: drop samples older than RATE_WINDOW_S, keeping two */
  while (e->n > 2 && now - e->t[(e->first + 1) % RATE_SAMPLES] >= RATE_WINDOW_S) {
    e->first = (e->first + 1) % RATE_SAMPLES;
    e->n--;
  }
}

double rate_get(const struct rate_est *e)
{
  size_t last = (e->first + e->n - 1) % RATE_SAMPLES;
  double dt;

  if (e->n < 2)
    return -1;
  dt = e->t[last] - e->t[e->first];
  if (dt < 1.0)
    return -1;
  return (double)(e->b[last] - e->b[e->first]) / dt;
}

void format_rate_eta(double rate, uint64_t remaining, char *buf, size_t len)
{
  char r[32];

  if (rate < 0) {
    snprintf(buf, len, "-");
    return;
  }
  format_bytes((uint64_t)rate, r, sizeof r);
  if (remaining == 0 || rate < 1) {
    snprintf(buf, len, "%s/s", r);
    return;
  }
  double secs = (double)remaining / rate;
  if (secs >= 100 * 3600.0) {
    snprintf(buf, len, "%s/s  ETA >99h", r);
    return;
  }
  unsigned long s = (unsigned long)(secs + 0.5);
  if (s >= 3600)
    snprintf(buf, len, "%s/s  ETA %lu:%02lu:%02lu", r, s / 3600, s / 60 % 60,
             s % 60);
  else
    snprintf(buf, len, "%s/s  ETA %lu:%02lu", r, s / 60, s % 60);
}

void progress_bar_render(char *buf, size_t len, int width, const char *label,
                         double percent, uint64_t done, uint64_t total)
{
  progress_bar_render_rate(buf, len, width, label, percent, done, total, NULL);
}

void progress_bar_render_rate(char *buf, size_t len, int width,
                              const char *label, double percent, uint64_t done,
                              uint64_t total, const char *rate_eta)
{
  char pct[16], d[32], tot[32], tail[160];
  int room;

  if (len == 0)
    return;
  format_percent(percent, pct, sizeof pct);
  format_bytes(done, d, sizeof d);
  format_bytes(total, tot, sizeof tot);
  /* Fixed widths, so the bar does not change length as numbers grow. */
  if (rate_eta && *rate_eta)
    snprintf(tail, sizeof tail, "%6s  %9s / %9s  %s", pct, d, tot, rate_eta);
  else
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
