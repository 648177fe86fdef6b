/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/v2v-progress.h"
#include "util/cleanup.h"

void v2v_progress_init(struct v2v_progress *p)
{
  memset(p, 0, sizeof *p);
  p->percent = -1;
}

void v2v_progress_free(struct v2v_progress *p)
{
  for (int i = 0; i < p->n_warnings; i++)
    free(p->warnings[i]);
  free(p->error);
  v2v_progress_init(p);
}

static void set_phase(struct v2v_progress *p, const char *phase)
{
  if (strcmp(p->phase, phase) != 0) {
    snprintf(p->phase, sizeof p->phase, "%s", phase);
    p->changed = true;
  }
}

static void set_percent(struct v2v_progress *p, int percent)
{
  if (percent < 0 || percent > 100 || percent == p->percent)
    return;
  p->percent = percent;
  p->changed = true;
}

/* The same warning arrives on stderr and in the machine-readable file. */
static void add_warning(struct v2v_progress *p, const char *text)
{
  for (int i = 0; i < p->n_warnings; i++)
    if (strcmp(p->warnings[i], text) == 0)
      return;
  if (p->n_warnings == V2V_WARNINGS_MAX)
    return;
  char *copy = strdup(text);
  if (copy) {
    p->warnings[p->n_warnings++] = copy;
    p->changed = true;
  }
}

/* The first line: the machine-readable error also holds virt-v2v's
 * paragraphs of advice, which stay in the job log. */
static void set_error(struct v2v_progress *p, const char *text)
{
  char *copy = strndup(text, strcspn(text, "\n"));
  if (copy) {
    free(p->error);
    p->error = copy;
    p->changed = true;
  }
}

static bool starts(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A status message ("Inspecting the source") sets the phase. */
static void status_message(struct v2v_progress *p, const char *msg)
{
  static const struct { const char *prefix, *phase; } phases[] = {
    { "Setting up the source", "opening" },
    { "Opening the source", "opening" },
    { "Inspecting the source", "inspecting" },
    { "Detecting if this guest uses", "inspecting" },
    { "Checking for sufficient free disk space", "inspecting" },
    { "Converting ", "converting" },
    { "Mapping filesystem data", "preparing output" },
    { "Closing the overlay", "preparing output" },
    { "Assigning disks to buses", "preparing output" },
    { "Checking if the guest needs BIOS or UEFI", "preparing output" },
    { "Setting up the destination", "preparing output" },
    { "Creating output metadata", "finishing" },
    { "Finishing off", "finishing" },
  };
  size_t len = strlen(msg), tail = strlen(" to run on KVM");
  int n, m;

  /* The guest as inspection named it: the only guest facts
   * virt-v2v-in-place 2.2 prints. */
  if (starts(msg, "Converting ") && len > strlen("Converting ") + tail &&
      strcmp(msg + len - tail, " to run on KVM") == 0)
    snprintf(p->product, sizeof p->product, "%.*s",
             (int)(len - tail - strlen("Converting ")),
             msg + strlen("Converting "));
  if (sscanf(msg, "Copying disk %d/%d", &n, &m) == 2 && n >= 1 && m >= n) {
    set_phase(p, "copying");
    if (p->disk != n || p->disks != m) {
      p->disk = n;
      p->disks = m;
      p->percent = 0;
      p->changed = true;
    }
    return;
  }
  for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
    if (starts(msg, phases[i].prefix)) {
      set_phase(p, phases[i].phase);
      return;
    }
}

/* An info line: whether the conversion left virtio drivers in the
 * guest (virt-v2v says so after converting, unless quiet). */
static void info_message(struct v2v_progress *p, const char *msg)
{
  if (strcmp(msg, "This guest has virtio drivers installed.") == 0)
    p->virtio_drivers = 1;
  else if (strcmp(msg, "This guest does not have virtio drivers "
                  "installed.") == 0)
    p->virtio_drivers = -1;
  else
    return;
  p->changed = true;
}

/* "N/M" alone (machine-readable progress) or a bar holding "NN%". */
static bool progress_line(struct v2v_progress *p, const char *line)
{
  unsigned long n, m;
  int end = 0;
  const char *pct;

  if (sscanf(line, "%lu/%lu%n", &n, &m, &end) == 2 && line[end] == '\0' &&
      isdigit((unsigned char)line[0]) && m > 0 && n <= m) {
    set_percent(p, (int)(n * 100 / m));
    return true;
  }
  if (p->disk > 0 && (pct = strchr(line, '%')) && pct > line &&
      isdigit((unsigned char)pct[-1]) && strchr(line, '[')) {
    while (pct > line && isdigit((unsigned char)pct[-1]))
      pct--;
    set_percent(p, atoi(pct));
    return true;
  }
  return false;
}

void v2v_progress_output_line(struct v2v_progress *p, const char *line)
{
  const char *close;

  /* virt-v2v-in-place speaks the same way under its own name. */
  const char *rest = starts(line, "virt-v2v: ") ? line + strlen("virt-v2v: ")
    : starts(line, "virt-v2v-in-place: ")
      ? line + strlen("virt-v2v-in-place: ") : NULL;

  if (rest && starts(rest, "error: ")) {
    set_error(p, rest + strlen("error: "));
    return;
  }
  if (rest && starts(rest, "warning: ")) {
    add_warning(p, rest + strlen("warning: "));
    return;
  }
  if (rest) {
    info_message(p, rest);
    return;
  }
  if (progress_line(p, line))
    return;
  /* "[  12.3] Inspecting the source" */
  if (line[0] == '[' && (close = strchr(line, ']')) && close[1] == ' ')
    status_message(p, close + 2);
}

void v2v_progress_machine_line(struct v2v_progress *p, const char *line)
{
  _cleanup_json_ json_object *o = json_tokener_parse(line);
  json_object *type, *msg;

  if (!o || !json_object_object_get_ex(o, "type", &type) ||
      !json_object_object_get_ex(o, "message", &msg) ||
      !json_object_is_type(msg, json_type_string))
    return;
  const char *t = json_object_get_string(type);
  const char *m = json_object_get_string(msg);
  if (strcmp(t, "message") == 0)
    status_message(p, m);
  else if (strcmp(t, "warning") == 0)
    add_warning(p, m);
  else if (strcmp(t, "error") == 0)
    set_error(p, m);
  else if (strcmp(t, "info") == 0)
    info_message(p, m);
}

/* Split on "\r" and "\n"; an over-long line is cut, not lost. */
static void feed(struct v2v_progress *p, char *partial, size_t *len,
                 const char *buf, size_t n,
                 void (*line_fn)(struct v2v_progress *, const char *))
{
  for (size_t i = 0; i < n; i++) {
    char c = buf[i];
    if (c == '\r' || c == '\n' || *len == V2V_LINE_MAX - 1) {
      partial[*len] = '\0';
      if (*len > 0)
        line_fn(p, partial);
      *len = 0;
      if (c == '\r' || c == '\n')
        continue;
    }
    partial[(*len)++] = c;
  }
}

void v2v_progress_feed_output(struct v2v_progress *p, const char *buf,
                              size_t len)
{
  feed(p, p->partial, &p->partial_len, buf, len, v2v_progress_output_line);
}

void v2v_progress_feed_machine(struct v2v_progress *p, const char *buf,
                               size_t len)
{
  feed(p, p->mr_partial, &p->mr_len, buf, len, v2v_progress_machine_line);
}
