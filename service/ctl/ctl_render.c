/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_format.h"
#include "ctl/ctl_render.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

static const char *str_or_dash(json_object *o, const char *key)
{
  const char *s = json_get_string(o, key);
  return s && *s ? s : "-";
}

static double get_double(json_object *o, const char *key)
{
  json_object *v = json_get(o, key);
  return v ? json_object_get_double(v) : 0;
}

uint64_t ctl_json_bytes(json_object *o, const char *key)
{
  json_object *v = json_get(o, key);
  int64_t n = v ? json_object_get_int64(v) : 0;
  return n > 0 ? (uint64_t)n : 0;
}

static void table_freep(struct table *t)
{
  table_free(t);
}

/* One row of a table from one element of its array.  It adds the row
 * itself (table_add_row), so the cells it formats can live in its own
 * frame; -1 when that fails. */
typedef int table_row_fn(struct table *t, json_object *item);

/* The table of `headers` (ncols of them) with one row per element of
 * the array `items`, none when `items` is no array: the loop the jobs
 * and volumes tables share. */
static char *render_table(json_object *items, const char *const *headers,
                          size_t ncols, table_row_fn *row)
{
  _cleanup_(table_freep) struct table t = { 0 };
  size_t n = json_object_is_type(items, json_type_array)
             ? json_object_array_length(items) : 0;

  if (table_init(&t, headers, ncols) < 0)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (row(&t, json_object_array_get_idx(items, i)) < 0)
      return NULL;
  return table_render(&t);
}

static const char *const job_headers[] = { "ID", "TYPE", "STATE", "PHASE",
                                           "PROGRESS", "CREATED" };

static int job_row(struct table *t, json_object *j)
{
  char pct[16], created[40];

  format_percent(get_double(json_get(j, "progress"), "percent"), pct,
                 sizeof pct);
  format_time_short(json_get_string(j, "created_at"), created,
                    sizeof created);
  return table_add_row(t, (const char *const[]){
    str_or_dash(j, "id"), str_or_dash(j, "type"), str_or_dash(j, "state"),
    str_or_dash(j, "phase"), pct, created });
}

char *render_jobs_table(json_object *jobs)
{
  return render_table(jobs, job_headers,
                      sizeof job_headers / sizeof job_headers[0], job_row);
}

static const char *const volume_headers[] = { "PATH", "SIZE", "SERIAL",
                                              "RO", "USED-BY" };

static int volume_row(struct table *t, json_object *v)
{
  json_object *ro = json_get(v, "read_only"), *m = json_get(v, "mounted");
  char size[32];

  format_bytes(ctl_json_bytes(v, "size"), size, sizeof size);
  return table_add_row(t, (const char *const[]){
    str_or_dash(v, "path"), size, str_or_dash(v, "serial"),
    ro && json_object_get_boolean(ro) ? "yes" : "no",
    m && json_object_get_boolean(m) ? "system" : str_or_dash(v, "job") });
}

char *render_volumes_table(json_object *vols)
{
  return render_table(vols, volume_headers,
                      sizeof volume_headers / sizeof volume_headers[0],
                      volume_row);
}

char *render_endpoint(json_object *e)
{
  json_object *nbdkit = json_get(e, "nbdkit");
  const char *s, *fmt;
  char *out;
  int r;

  if ((s = json_get_string(e, "nbd")))
    return strdup(s);
  if ((s = json_get_string(e, "path"))) {
    fmt = json_get_string(e, "format");
    r = fmt ? asprintf(&out, "%s (%s)", s, fmt) : asprintf(&out, "%s", s);
    return r < 0 ? NULL : out;
  }
  if (nbdkit)
    r = asprintf(&out, "nbdkit %s", str_or_dash(nbdkit, "plugin"));
  else if ((s = json_get_string(e, "volume")))
    r = asprintf(&out, "volume %s", s);
  else
    r = asprintf(&out, "%s", e ? json_object_to_json_string(e) : "-");
  return r < 0 ? NULL : out;
}

static void render_progress(FILE *f, json_object *p)
{
  char pct[16], done[32], total[32];

  format_percent(get_double(p, "percent"), pct, sizeof pct);
  format_bytes(ctl_json_bytes(p, "bytes_done"), done, sizeof done);
  format_bytes(ctl_json_bytes(p, "bytes_total"), total, sizeof total);
  fprintf(f, "%s  %s / %s", pct, done, total);
}

static void render_disks(FILE *f, json_object *disks)
{
  size_t n = json_object_is_type(disks, json_type_array)
             ? json_object_array_length(disks) : 0;

  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(disks, i);
    _cleanup_free_ char *src = render_endpoint(json_get(d, "source"));
    _cleanup_free_ char *dst = render_endpoint(json_get(d, "destination"));
    char label[32];

    snprintf(label, sizeof label, "Disk %zu:", i);
    fprintf(f, "%-10s %s", label, src ? src : "-");
    if (json_get(d, "destination"))
      fprintf(f, " -> %s", dst ? dst : "-");
    fprintf(f, "\n           ");
    render_progress(f, d);
    fputc('\n', f);
  }
}

static bool is_container(json_object *v)
{
  return json_object_is_type(v, json_type_object) ||
         json_object_is_type(v, json_type_array);
}

static void render_scalar(FILE *f, json_object *v)
{
  if (json_object_is_type(v, json_type_string))
    fputs(json_object_get_string(v), f);
  else if (json_object_is_type(v, json_type_double))
    fprintf(f, "%g", json_object_get_double(v));   /* not 0.14499999999 */
  else
    fputs(v ? json_object_to_json_string(v) : "null", f);
}

/* An array of scalars fits on one line: "a, b, c". */
static bool scalar_array(json_object *v)
{
  size_t n = json_object_array_length(v);
  for (size_t i = 0; i < n; i++)
    if (is_container(json_object_array_get_idx(v, i)))
      return false;
  return true;
}

/* "size", "bytes", "free_bytes", "bytes_done": a count of bytes. */
static bool is_byte_key(const char *key)
{
  size_t n = key ? strlen(key) : 0;

  return (key && (strcmp(key, "size") == 0 || strcmp(key, "bytes") == 0)) ||
         (n > 6 && strcmp(key + n - 6, "_bytes") == 0) ||
         (key && strncmp(key, "bytes_", 6) == 0);
}

static void render_value(FILE *f, const char *key, json_object *v, int indent)
{
  if (is_byte_key(key) && json_object_is_type(v, json_type_int) &&
      json_object_get_int64(v) >= 1024) {
    char human[32];
    format_bytes((uint64_t)json_object_get_int64(v), human, sizeof human);
    fprintf(f, " %s (%lld)\n", human, (long long)json_object_get_int64(v));
    return;
  }
  if (json_object_is_type(v, json_type_object) &&
      json_object_object_length(v) > 0) {
    fputc('\n', f);
    render_tree(f, v, indent + 2);
  }
  else if (json_object_is_type(v, json_type_array) && !scalar_array(v)) {
    fputc('\n', f);
    render_tree(f, v, indent + 2);
  }
  else if (json_object_is_type(v, json_type_array)) {
    size_t n = json_object_array_length(v);
    fputc(n ? ' ' : '\n', f);
    for (size_t i = 0; i < n; i++) {
      render_scalar(f, json_object_array_get_idx(v, i));
      fputs(i + 1 < n ? ", " : "\n", f);
    }
  }
  else {
    fputc(' ', f);
    render_scalar(f, v);
    fputc('\n', f);
  }
}

void render_tree(FILE *f, json_object *o, int indent)
{
  if (json_object_is_type(o, json_type_object)) {
    json_object_object_foreach(o, key, val) {
      fprintf(f, "%*s%s:", indent, "", key);
      render_value(f, key, val, indent);
    }
  }
  else if (json_object_is_type(o, json_type_array)) {
    size_t n = json_object_array_length(o);
    for (size_t i = 0; i < n; i++) {
      fprintf(f, "%*s- [%zu]", indent, "", i);
      render_value(f, NULL, json_object_array_get_idx(o, i), indent);
    }
  }
  else {
    fprintf(f, "%*s", indent, "");
    render_scalar(f, o);
    fputc('\n', f);
  }
}

char *render_job_summary(json_object *job)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  json_object *err = json_get(job, "error"), *result = json_get(job, "result");

  if (!f)
    return NULL;
  fprintf(f, "%-10s %s\n", "Job:", str_or_dash(job, "id"));
  fprintf(f, "%-10s %s\n", "Type:", str_or_dash(job, "type"));
  fprintf(f, "%-10s %s", "State:", str_or_dash(job, "state"));
  if (strcmp(str_or_dash(job, "phase"), str_or_dash(job, "state")) != 0)
    fprintf(f, " (%s)", str_or_dash(job, "phase"));
  fputc('\n', f);
  fprintf(f, "%-10s %s\n", "Created:", str_or_dash(job, "created_at"));
  fprintf(f, "%-10s %s\n", "Started:", str_or_dash(job, "started_at"));
  fprintf(f, "%-10s %s\n", "Finished:", str_or_dash(job, "finished_at"));
  fprintf(f, "%-10s ", "Progress:");
  render_progress(f, json_get(job, "progress"));
  fputc('\n', f);
  render_disks(f, json_get(job, "disks"));
  if (json_object_is_type(err, json_type_object))
    fprintf(f, "%-10s %s: %s\n", "Error:", str_or_dash(err, "code"),
            str_or_dash(err, "message"));
  if (result && !(json_object_is_type(result, json_type_object) &&
                  json_object_object_length(result) == 0)) {
    fprintf(f, "Result:\n");
    render_tree(f, result, 2);
  }
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

char *render_job_status_line(json_object *job)
{
  const char *state = str_or_dash(job, "state");
  char pct[16];
  char *out;
  int r;

  if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0) {
    format_percent(get_double(json_get(job, "progress"), "percent"), pct,
                   sizeof pct);
    r = asprintf(&out, "%s: %s (%s) %s", str_or_dash(job, "id"), state,
                 str_or_dash(job, "phase"), pct);
  }
  else
    r = asprintf(&out, "%s: %s", str_or_dash(job, "id"), state);
  return r < 0 ? NULL : out;
}
