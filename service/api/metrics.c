/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "api/http.h"
#include "api/metrics.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"

/* Histogram buckets (upper bounds, seconds); +Inf is implied. */
static const double job_buckets[] = { 10, 60, 300, 900, 1800, 3600, 7200,
                                      14400, 43200, 86400 };
static const double pass_buckets[] = { 1, 5, 15, 60, 300, 900, 3600,
                                       14400 };
#define N_OF(a) (sizeof (a) / sizeof (a)[0])

char *metrics_label_escape(const char *s)
{
  char *out = malloc(strlen(s) * 2 + 1), *p = out;
  if (!out)
    return NULL;
  for (; *s; s++) {
    if (*s == '\\' || *s == '"') {
      *p++ = '\\';
      *p++ = *s;
    } else if (*s == '\n') {
      *p++ = '\\';
      *p++ = 'n';
    } else
      *p++ = *s;
  }
  *p = '\0';
  return out;
}

static double progress_of(json_object *doc, const char *key)
{
  json_object *v = json_get(json_get(doc, "progress"), key);
  return v ? json_object_get_double(v) : 0;
}

/* uch_jobs{state,type}: every state of every type seen, zeros included,
 * so a gauge drops to 0 instead of vanishing. */
static void jobs_by_state(FILE *f, const struct metrics_input *in)
{
  const char **types = calloc(in->n_jobs + 1, sizeof *types);
  size_t nt = 0;

  fputs("# HELP uch_jobs Jobs known to uchd, by state and type.\n"
        "# TYPE uch_jobs gauge\n", f);
  if (!types)
    return;
  for (size_t i = 0; i < in->n_jobs; i++) {
    const char *t = job_type(in->jobs[i]);
    size_t k;
    for (k = 0; k < nt && strcmp(types[k], t) != 0; k++)
      ;
    if (k == nt)
      types[nt++] = t;
  }
  for (size_t k = 0; k < nt; k++) {
    _cleanup_free_ char *te = metrics_label_escape(types[k]);
    for (int s = 0; s < JOB_STATE_COUNT; s++) {
      unsigned long n = 0;
      for (size_t i = 0; i < in->n_jobs; i++)
        if ((int)job_state(in->jobs[i]) == s &&
            strcmp(job_type(in->jobs[i]), types[k]) == 0)
          n++;
      fprintf(f, "uch_jobs{state=\"%s\",type=\"%s\"} %lu\n",
              job_state_name(s), te ? te : "", n);
    }
  }
  free(types);
}

/* The ledger's object `key` in `o`, made when missing; NULL on ENOMEM. */
static json_object *obj_at(json_object *o, const char *key)
{
  json_object *v = json_get(o, key);
  if (v && json_object_is_type(v, json_type_object))
    return v;
  v = json_object_new_object();
  if (v && json_object_object_add(o, key, v) < 0) {
    json_object_put(v);
    return NULL;
  }
  return v;
}

static double num_at(json_object *o, const char *key)
{
  json_object *v = json_get(o, key);
  return v ? json_object_get_double(v) : 0;
}

static void add_at(json_object *o, const char *key, double delta)
{
  if (o)
    json_object_object_add(o, key,
                           json_object_new_double(num_at(o, key) + delta));
}

json_object *metrics_ledger_new(void)
{
  return json_object_new_object();
}

/* RFC 3339 UTC with milliseconds, as jobs carry them; -1 when not. */
static double time_of(const char *s)
{
  struct tm tm = { 0 };
  const char *rest;
  double frac = 0;

  if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
    return -1;
  if (*rest == '.')
    frac = strtod(rest, NULL);
  return (double)timegm(&tm) + frac;
}

static void observe(json_object *hist, size_t nb, const double *bounds,
                    double v)
{
  char key[32];
  if (!hist || v < 0)
    return;
  for (size_t i = 0; i < nb; i++)
    if (v <= bounds[i]) {
      snprintf(key, sizeof key, "%g", bounds[i]);
      add_at(hist, key, 1);
    }
  add_at(hist, "+Inf", 1);
  add_at(hist, "sum", v);
}

/* What a job has moved, never less as long as the job (id and restarts)
 * is the same: a sync job's finished passes plus the pass under way. */
static double job_bytes(json_object *doc)
{
  json_object *passes = json_get(json_get(doc, "result"), "passes");
  double done = progress_of(doc, "bytes_done"), b = 0;
  const char *phase = json_get_string(doc, "phase");

  if (strcmp(json_get_string(doc, "type") ?: "", "sync") != 0)
    return done;
  for (size_t i = 0; passes && i < json_object_array_length(passes); i++)
    b += num_at(json_object_array_get_idx(passes, i), "bytes");
  if (strcmp(json_get_string(doc, "state") ?: "", "running") == 0 &&
      phase && strcmp(phase, "waiting") != 0)
    b += done;
  return b;
}

bool metrics_account(json_object *ledger, struct job **jobs, size_t n)
{
  json_object *known = obj_at(ledger, "jobs");
  _cleanup_json_ json_object *now = json_object_new_object();
  bool changed = false;

  if (!known || !now)
    return false;
  for (size_t i = 0; i < n; i++) {
    json_object *doc = jobs[i]->doc;
    const char *type = job_type(jobs[i]);
    enum job_state st = job_state(jobs[i]);
    char key[128];
    json_object *e, *passes;
    double m = job_bytes(doc), had;

    snprintf(key, sizeof key, "%s#%lld", jobs[i]->id,
             (long long)num_at(doc, "restarts"));
    e = json_get(known, key);
    if (!e) {
      e = json_object_new_object();
      if (!e || json_object_object_add(known, key, e) < 0) {
        json_object_put(e);
        continue;
      }
      changed = true;
    }
    json_object_object_add(now, key, NULL);
    had = num_at(e, "bytes");
    if (m > had) {
      add_at(ledger, "bytes", m - had);
      add_at(obj_at(ledger, "bytes_by_type"), type, m - had);
      add_at(e, "bytes", m - had);
      changed = true;
    }
    passes = json_get(json_get(doc, "result"), "passes");
    for (size_t k = (size_t)num_at(e, "passes");
         passes && k < json_object_array_length(passes); k++) {
      observe(obj_at(ledger, "pass_seconds"), N_OF(pass_buckets),
              pass_buckets,
              num_at(json_object_array_get_idx(passes, k), "seconds"));
      add_at(e, "passes", 1);
      changed = true;
    }
    if (job_state_is_final(st) && !json_get(e, "final")) {
      char fin[160];
      const char *code = json_get_string(json_get(doc, "error"), "code");
      double t0 = time_of(json_get_string(doc, "started_at"));
      double t1 = time_of(json_get_string(doc, "finished_at"));

      snprintf(fin, sizeof fin, "%s|%s|%s", type, job_state_name(st),
               code ? code : "");
      add_at(obj_at(ledger, "finished"), fin, 1);
      if (t0 >= 0 && t1 >= t0)
        observe(obj_at(ledger, "job_seconds"), N_OF(job_buckets),
                job_buckets, t1 - t0);
      json_object_object_add(e, "final", json_object_new_boolean(1));
      changed = true;
    }
  }
  /* jobs gone (deleted, or restarted under a new key): their counts
   * stay in the totals */
  {
    size_t nk = 0, k = 0;
    json_object_object_foreach(known, k1, v1) { (void)k1; (void)v1; nk++; }
    _cleanup_free_ char **gone = calloc(nk + 1, sizeof *gone);
    if (gone) {
      json_object_object_foreach(known, key, val) {
        (void)val;
        if (!json_object_object_get_ex(now, key, NULL))
          gone[k++] = key;
      }
      for (size_t g = 0; g < k; g++) {
        json_object_object_del(known, gone[g]);
        changed = true;
      }
    }
  }
  return changed;
}

static void histogram(FILE *f, const char *name, const char *help,
                      json_object *h, size_t nb, const double *bounds)
{
  char key[32];
  fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  for (size_t i = 0; i < nb; i++) {
    snprintf(key, sizeof key, "%g", bounds[i]);
    fprintf(f, "%s_bucket{le=\"%g\"} %.0f\n", name, bounds[i],
            num_at(h, key));
  }
  fprintf(f, "%s_bucket{le=\"+Inf\"} %.0f\n%s_sum %.17g\n%s_count %.0f\n",
          name, num_at(h, "+Inf"), name, num_at(h, "sum"), name,
          num_at(h, "+Inf"));
}

static void counters(FILE *f, json_object *ledger)
{
  json_object *fin = json_get(ledger, "finished");
  json_object *by_type = json_get(ledger, "bytes_by_type");

  fprintf(f, "# HELP uch_bytes_copied_total Bytes the jobs moved, counted "
             "at each scrape; it never goes down.\n"
             "# TYPE uch_bytes_copied_total counter\n"
             "uch_bytes_copied_total %.0f\n", num_at(ledger, "bytes"));
  fputs("# HELP uch_job_bytes_total Bytes the jobs moved, by job type.\n"
        "# TYPE uch_job_bytes_total counter\n", f);
  if (by_type) {
    json_object_object_foreach(by_type, type, n) {
      _cleanup_free_ char *te = metrics_label_escape(type);
      fprintf(f, "uch_job_bytes_total{type=\"%s\"} %.0f\n", te ? te : "",
              json_object_get_double(n));
    }
  }
  fputs("# HELP uch_jobs_finished_total Jobs that ended, by type, final "
        "state and error code (empty when none).\n"
        "# TYPE uch_jobs_finished_total counter\n", f);
  if (fin) {
    json_object_object_foreach(fin, key, v) {
      char type[64] = "", state[32] = "", code[64] = "";
      sscanf(key, "%63[^|]|%31[^|]|%63[^|]", type, state, code);
      _cleanup_free_ char *te = metrics_label_escape(type);
      _cleanup_free_ char *ce = metrics_label_escape(code);
      fprintf(f, "uch_jobs_finished_total{type=\"%s\",state=\"%s\","
                 "code=\"%s\"} %.0f\n", te ? te : "", state, ce ? ce : "",
              json_object_get_double(v));
    }
  }
  histogram(f, "uch_job_duration_seconds",
            "From start to end of each job that ended.",
            json_get(ledger, "job_seconds"), N_OF(job_buckets), job_buckets);
  histogram(f, "uch_pass_duration_seconds",
            "Each pass of a sync job, full or incremental.",
            json_get(ledger, "pass_seconds"), N_OF(pass_buckets),
            pass_buckets);
}

static void process(FILE *f, const struct metrics_process *p)
{
  fprintf(f, "# HELP process_cpu_seconds_total User and system CPU time "
             "spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
             "process_cpu_seconds_total %.2f\n"
             "# HELP process_start_time_seconds Start time of the process "
             "since unix epoch in seconds.\n"
             "# TYPE process_start_time_seconds gauge\n"
             "process_start_time_seconds %.2f\n"
             "# HELP process_resident_memory_bytes Resident memory size in "
             "bytes.\n# TYPE process_resident_memory_bytes gauge\n"
             "process_resident_memory_bytes %.0f\n"
             "# HELP process_virtual_memory_bytes Virtual memory size in "
             "bytes.\n# TYPE process_virtual_memory_bytes gauge\n"
             "process_virtual_memory_bytes %.0f\n"
             "# HELP process_open_fds Number of open file descriptors.\n"
             "# TYPE process_open_fds gauge\nprocess_open_fds %.0f\n"
             "# HELP process_max_fds Maximum number of open file "
             "descriptors.\n# TYPE process_max_fds gauge\n"
             "process_max_fds %.0f\n",
          p->cpu_seconds, p->start_time, p->resident_bytes, p->virtual_bytes,
          p->open_fds, p->max_fds);
}

char *metrics_format(const struct metrics_input *in)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  if (!f)
    return NULL;
  jobs_by_state(f, in);
  counters(f, in->ledger);
  fputs("# HELP uch_job_progress_percent Progress of each running job.\n"
        "# TYPE uch_job_progress_percent gauge\n", f);
  for (size_t i = 0; i < in->n_jobs; i++) {
    if (job_state(in->jobs[i]) != JOB_RUNNING)
      continue;
    _cleanup_free_ char *te = metrics_label_escape(job_type(in->jobs[i]));
    fprintf(f, "uch_job_progress_percent{id=\"%s\",type=\"%s\"} %g\n",
            in->jobs[i]->id, te ? te : "",
            progress_of(in->jobs[i]->doc, "percent"));
  }
  fputs("# HELP uch_http_responses_total HTTP responses by status code.\n"
        "# TYPE uch_http_responses_total counter\n", f);
  for (size_t c = 0; c < in->n_codes; c++) {
    char code[24];
    snprintf(code, sizeof code, "%zu", c);
    double n = (double)in->http_responses[c] +
               num_at(json_get(in->ledger, "http_before"), code);
    if (n > 0)
      fprintf(f, "uch_http_responses_total{code=\"%zu\"} %.0f\n", c, n);
  }
  fprintf(f, "# HELP uch_slots_max Jobs that may run at once.\n"
             "# TYPE uch_slots_max gauge\n"
             "uch_slots_max %d\n", in->slots_max);
  fprintf(f, "# HELP uch_http_waiting Requests waiting on a job "
             "(GET /v1/jobs/{id}?wait_s).\n"
             "# TYPE uch_http_waiting gauge\n"
             "uch_http_waiting %u\n", in->http_waiting);
  fprintf(f, "# HELP uch_build_info The uchd build.\n"
             "# TYPE uch_build_info gauge\n"
             "uch_build_info{version=\"%s\"} 1\n", in->version);
  if (in->process)
    process(f, in->process);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* The ledger, loaded from STATE/metrics.json on first use. */
static json_object *ledger;

static char *ledger_path(struct uchd *d)
{
  char *p = NULL;
  return asprintf(&p, "%s/metrics.json", d->cfg.state_dir) < 0 ? NULL : p;
}

void metrics_update(struct uchd *d)
{
  _cleanup_free_ char *path = ledger_path(d);
  size_t n;
  _cleanup_free_ struct job **v = store_sorted(&d->store, &n);

  if (!path)
    return;
  if (!ledger) {
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (read_file(path, &text, &len) == 0) {
      ledger = json_tokener_parse(text);
      if (!ledger || !json_object_is_type(ledger, json_type_object)) {
        log_warning("%s is not a metrics ledger: the counters start at 0",
                    path);
        json_object_put(ledger);
        ledger = NULL;
      }
    } else if (errno != ENOENT)
      log_warning("cannot read %s: %m: the counters start at 0", path);
    if (!ledger && !(ledger = metrics_ledger_new()))
      return;
    /* the answers of the uchds before this one, so that
     * uch_http_responses_total does not start again at 0 */
    json_object *http = json_get(ledger, "http");
    json_object_object_add(ledger, "http_before",
                           http ? json_object_get(http) : NULL);
  }
  if (!v)
    return;
  for (size_t i = 0; i < n; i++)
    job_refresh(&d->store, v[i]);
  bool changed = metrics_account(ledger, v, n);
  json_object *http = json_object_new_object();
  for (size_t c = 0; http && c < HTTP_CODES; c++) {
    char code[24];
    snprintf(code, sizeof code, "%zu", c);
    double all = (double)d->http_responses[c] +
                 num_at(json_get(ledger, "http_before"), code);
    if (all > 0)
      json_object_object_add(http, code, json_object_new_double(all));
  }
  if (http && !json_object_equal(http, json_get(ledger, "http"))) {
    json_object_object_add(ledger, "http", http);
    changed = true;
  } else
    json_object_put(http);
  if (changed) {
    size_t len;
    const char *s = json_object_to_json_string_length(
      ledger, JSON_C_TO_STRING_PLAIN, &len);
    if (write_file_atomic(path, s, len, 0644) < 0)
      log_warning("cannot write %s: %m", path);
  }
}

static void process_read(struct metrics_process *p)
{
  _cleanup_free_ char *stat = NULL, *sys = NULL;
  size_t len;
  double ticks = (double)sysconf(_SC_CLK_TCK);
  double page = (double)sysconf(_SC_PAGESIZE);
  struct rlimit rl;
  const char *bt;

  memset(p, 0, sizeof *p);
  if (read_file("/proc/self/stat", &stat, &len) == 0) {
    const char *s = strrchr(stat, ')');
    unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
    long long rss = 0;
    /* fields 3.. after the command: state ppid pgrp session tty_nr
     * tpgid flags minflt cminflt majflt cmajflt utime stime cutime
     * cstime priority nice num_threads itrealvalue starttime vsize rss */
    if (s && sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                           "%llu %llu %*d %*d %*d %*d %*d %*d %llu %llu "
                           "%lld", &utime, &stime, &start, &vsize,
                    &rss) == 5) {
      p->cpu_seconds = (double)(utime + stime) / ticks;
      p->virtual_bytes = (double)vsize;
      p->resident_bytes = (double)rss * page;
      if (read_file("/proc/stat", &sys, &len) == 0 &&
          (bt = strstr(sys, "\nbtime ")))
        p->start_time = strtod(bt + 7, NULL) + (double)start / ticks;
    }
  }
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    for (struct dirent *e; (e = readdir(dir));)
      if (e->d_name[0] != '.')
        p->open_fds++;
    closedir(dir);
    p->open_fds--;   /* the one opendir holds */
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
    p->max_fds = (double)rl.rlim_cur;
}

enum MHD_Result api_metrics(struct http_request *r)
{
  size_t n;
  struct metrics_process proc;

  metrics_update(r->d);
  process_read(&proc);
  _cleanup_free_ struct job **v = store_sorted(&r->d->store, &n);
  _cleanup_json_ json_object *none = ledger ? NULL : metrics_ledger_new();
  struct metrics_input in = {
    .jobs = v, .n_jobs = n, .http_responses = r->d->http_responses,
    .n_codes = HTTP_CODES, .slots_max = r->d->cfg.max_jobs,
    .http_waiting = r->d->http_waiting,
    .ledger = ledger ? ledger : none, .process = &proc,
    .version = UCH_VERSION,
  };
  if (!v)
    return MHD_NO;
  _cleanup_free_ char *text = metrics_format(&in);
  if (!text)
    return MHD_NO;
  return http_text(r, MHD_HTTP_OK, "text/plain; version=0.0.4", text,
                   strlen(text), NULL, NULL);
}
