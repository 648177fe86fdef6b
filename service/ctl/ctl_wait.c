/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl wait: poll jobs until they end.  On a terminal, one progress bar
 * per job redrawn in place; otherwise one line whenever a job's state or
 * phase changes, which reads well in a log. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_commands.h"
#include "ctl/ctl_format.h"
#include "ctl/ctl_render.h"
#include "jobs/job.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"

#define POLL_SECONDS 0.25

struct waited {
  const char *id;
  json_object *job;            /* last document seen */
  char *raw;                   /* ... as uchd sent it, for --json */
  char *last_key;              /* non-terminal: "state/phase" last printed */
  struct rate_est rate;        /* of the bytes shown */
  bool final;
};

static int terminal_width(void)
{
  struct winsize ws;
  const char *cols = getenv("COLUMNS");

  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  if (cols && atoi(cols) > 0)
    return atoi(cols);
  return 80;
}

/* What moves now: the verify's progress while verifying, else the job's. */
static json_object *shown_progress(json_object *job)
{
  json_object *p = json_get(job, "progress");
  const char *phase = json_get_string(job, "phase");

  if (phase && strcmp(phase, "verifying") == 0 && json_get(p, "verify"))
    return json_get(p, "verify");
  return p;
}

static void draw_bars(struct waited *w, int n, bool redraw)
{
  int width = terminal_width();

  if (redraw && n > 1)
    printf("\033[%dA", n - 1);
  for (int i = 0; i < n; i++) {
    json_object *p = shown_progress(w[i].job);
    json_object *pct = json_get(p, "percent");
    const char *phase = json_get_string(w[i].job, "phase");
    uint64_t done = ctl_json_bytes(p, "bytes_done");
    uint64_t total = ctl_json_bytes(p, "bytes_total");
    char label[128], line[512], rate[64] = "";

    snprintf(label, sizeof label, "%s %-10s", w[i].id,
             phase ? phase : "waiting");
    if (!w[i].final)
      format_rate_eta(rate_get(&w[i].rate), total > done ? total - done : 0,
                      rate, sizeof rate);
    progress_bar_render_rate(line, sizeof line, width, label,
                             pct ? json_object_get_double(pct) : 0, done,
                             total, rate);
    printf("\r%s\033[K", line);
    if (i + 1 < n)
      putchar('\n');
  }
  fflush(stdout);
}

static void print_changes(struct waited *w, int n)
{
  for (int i = 0; i < n; i++) {
    const char *state = json_get_string(w[i].job, "state");
    const char *phase = json_get_string(w[i].job, "phase");
    char *key = NULL, *line;

    /* Progress alone is no change worth a line. */
    if (asprintf(&key, "%s/%s", state ? state : "", phase ? phase : "") < 0)
      continue;
    if (w[i].last_key && strcmp(key, w[i].last_key) == 0) {
      free(key);
      continue;
    }
    free(w[i].last_key);
    w[i].last_key = key;
    if ((line = render_job_status_line(w[i].job)))
      printf("%s\n", line);
    free(line);
  }
  fflush(stdout);
}

/* Fetch every job not yet final; 0 or an exit status. */
static int poll_jobs(struct ctl_ctx *x, struct waited *w, int n)
{
  for (int i = 0; i < n; i++) {
    _cleanup_free_ char *path = NULL;
    struct ctl_response r;
    json_object *job;
    int rc;

    if (w[i].final)
      continue;
    if (!(path = ctl_job_path(x, w[i].id, "")))
      return CTL_EXIT_FAILED;
    if ((rc = ctl_call(x, "GET", path, NULL, 0, &r)) != 0)
      return rc;
    job = ctl_parse_body(&r);
    if (!job) {
      ctl_response_free(&r);
      return CTL_EXIT_FAILED;
    }
    json_object_put(w[i].job);
    w[i].job = job;
    free(w[i].raw);
    w[i].raw = steal_ptr(r.body);
    ctl_response_free(&r);
    w[i].final = job_state_is_final(jobdoc_state(job));
    rate_sample(&w[i].rate, time_monotonic(),
                ctl_json_bytes(shown_progress(job), "bytes_done"));
  }
  return 0;
}

/* The outcome: 0 when every job succeeded, else 1 with the reasons. */
static int report(struct ctl_ctx *x, struct waited *w, int n)
{
  int rc = 0;

  for (int i = 0; i < n; i++) {
    enum job_state s = jobdoc_state(w[i].job);
    const char *msg = json_get_string(json_get(w[i].job, "error"), "message");

    if (x->o->json) {
      size_t len = strlen(w[i].raw);
      fputs(w[i].raw, stdout);
      if (len == 0 || w[i].raw[len - 1] != '\n')
        putchar('\n');
    }
    if (s == JOB_SUCCEEDED)
      continue;
    rc = CTL_EXIT_FAILED;
    if (s == JOB_CANCELLED)
      fprintf(stderr, "uchctl: job %s was cancelled%s%s\n", w[i].id,
              msg ? ": " : "", msg ? msg : "");
    else
      fprintf(stderr, "uchctl: job %s failed: %s\n", w[i].id,
              msg ? msg : "no reason given");
  }
  return rc;
}

int cmd_wait(struct ctl_ctx *x)
{
  int n = x->o->nargs, rc, done;
  struct waited *w = calloc(n, sizeof *w);
  bool tty = !x->o->json && isatty(STDOUT_FILENO);
  bool drawn = false;
  double deadline = x->o->timeout >= 0
                    ? time_monotonic() + x->o->timeout : -1;

  if (!w)
    return CTL_EXIT_FAILED;
  for (int i = 0; i < n; i++)
    w[i].id = x->o->args[i];
  for (;;) {
    if ((rc = poll_jobs(x, w, n)) != 0)
      break;
    if (tty) {
      draw_bars(w, n, drawn);
      drawn = true;
    }
    else if (!x->o->json)
      print_changes(w, n);
    for (done = 0; done < n && w[done].final; done++)
      ;
    if (done == n) {
      if (drawn)
        putchar('\n');
      fflush(stdout);
      rc = report(x, w, n);
      break;
    }
    if (deadline >= 0 && time_monotonic() >= deadline) {
      if (drawn)
        putchar('\n');
      fflush(stdout);
      fprintf(stderr, "uchctl: timed out after %g s waiting for %s\n",
              x->o->timeout, n == 1 ? w[0].id : "the jobs");
      rc = CTL_EXIT_TIMEOUT;
      break;
    }
    nanosleep(&(struct timespec){ 0, (long)(POLL_SECONDS * 1e9) }, NULL);
  }
  for (int i = 0; i < n; i++) {
    json_object_put(w[i].job);
    free(w[i].raw);
    free(w[i].last_key);
  }
  free(w);
  return rc;
}
