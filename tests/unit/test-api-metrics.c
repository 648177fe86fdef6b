/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Prometheus text: every series, zero gauges for states with no
 * jobs, progress only for running jobs, label escaping. */
#include <stdlib.h>
#include <string.h>

#include "api/metrics.h"
#include "util/jsonutil.h"
#include "tap.h"

static struct job *job(const char *id, const char *json)
{
  struct job *j = calloc(1, sizeof *j);
  j->id = strdup(id);
  j->doc = json_tokener_parse(json);
  j->pidfd = -1;
  return j;
}

static int has_line(const char *text, const char *line)
{
  size_t n = strlen(line);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
      return 1;
  return 0;
}

int main(void)
{
  struct job *jobs[3] = {
    job("a", "{\"type\":\"copy\",\"state\":\"running\","
             "\"progress\":{\"percent\":42.5,\"bytes_done\":1000}}"),
    job("b", "{\"type\":\"copy\",\"state\":\"succeeded\","
             "\"progress\":{\"percent\":100,\"bytes_done\":2000}}"),
    job("c", "{\"type\":\"export\",\"state\":\"queued\"}"),
  };
  unsigned long long codes[600] = { 0 };
  codes[200] = 7;
  codes[404] = 1;
  json_object *ledger = metrics_ledger_new();
  ok(metrics_account(ledger, jobs, 3), "the ledger took the jobs");
  ok(!metrics_account(ledger, jobs, 3), "and nothing new the second time");
  struct metrics_process proc = { .cpu_seconds = 1.5, .start_time = 1e9,
                                  .resident_bytes = 4096, .open_fds = 7,
                                  .max_fds = 1024 };
  struct metrics_input in = { .jobs = jobs, .n_jobs = 3, .http_responses = codes,
                             .n_codes = 600, .slots_max = 4, .ledger = ledger,
                             .process = &proc, .version = "1.2.3" };
  char *t = metrics_format(&in);

  ok(t != NULL, "formatted");
  ok(has_line(t, "# TYPE uch_jobs gauge"), "uch_jobs TYPE");
  ok(has_line(t, "uch_jobs{state=\"running\",type=\"copy\"} 1"), "running copy");
  ok(has_line(t, "uch_jobs{state=\"succeeded\",type=\"copy\"} 1"), "succeeded copy");
  ok(has_line(t, "uch_jobs{state=\"failed\",type=\"copy\"} 0"), "zero failed copy");
  ok(has_line(t, "uch_jobs{state=\"queued\",type=\"export\"} 1"), "queued export");
  ok(has_line(t, "uch_bytes_copied_total 3000"), "bytes copied");
  ok(has_line(t, "uch_job_bytes_total{type=\"copy\"} 3000"), "bytes by type");
  ok(has_line(t, "uch_jobs_finished_total{type=\"copy\",state=\"succeeded\",code=\"\"} 1"),
     "one copy ended");
  ok(has_line(t, "# TYPE uch_job_duration_seconds histogram"), "job durations");
  ok(has_line(t, "process_open_fds 7"), "process metrics");
  ok(has_line(t, "uch_job_progress_percent{id=\"a\",type=\"copy\"} 42.5"),
     "progress of the running job");
  ok(!strstr(t, "uch_job_progress_percent{id=\"b\""), "no progress for finished");
  ok(has_line(t, "uch_http_responses_total{code=\"200\"} 7"), "200 count");
  ok(has_line(t, "uch_http_responses_total{code=\"404\"} 1"), "404 count");
  ok(!strstr(t, "code=\"500\""), "codes never sent are left out");
  ok(has_line(t, "uch_slots_max 4"), "slots");
  ok(has_line(t, "uch_http_waiting 0"), "no long poll waiting");
  ok(has_line(t, "uch_build_info{version=\"1.2.3\"} 1"), "build info");
  ok(t[strlen(t) - 1] == '\n', "ends with a newline");
  free(t);

  /* counters never go down: a sync job's next pass restarts its
   * progress, a job is deleted, another is restarted (restarts 1), one
   * fails */
  json_object_put(jobs[0]->doc);
  jobs[0]->doc = json_tokener_parse(
    "{\"type\":\"sync\",\"state\":\"running\",\"phase\":\"copying\","
    "\"progress\":{\"bytes_done\":100},\"result\":{\"passes\":"
    "[{\"bytes\":5000,\"seconds\":2.5}]}}");
  json_object_put(jobs[2]->doc);
  jobs[2]->doc = json_tokener_parse(
    "{\"type\":\"copy\",\"state\":\"failed\",\"restarts\":1,"
    "\"started_at\":\"2026-12-05T10:00:00.000Z\","
    "\"finished_at\":\"2026-12-05T10:00:30.500Z\","
    "\"error\":{\"code\":\"source\"},\"progress\":{\"bytes_done\":7}}");
  ok(metrics_account(ledger, (struct job *[]){ jobs[0], jobs[2] }, 2),
     "a pass, a deletion, a restart");
  in.n_jobs = 0;
  t = metrics_format(&in);
  ok(has_line(t, "uch_bytes_copied_total 7107"),
     "3000 before, a's passes and the pass under way add 4100, the restarted c 7; deleted b's stay");
  ok(has_line(t, "uch_jobs_finished_total{type=\"copy\",state=\"failed\",code=\"source\"} 1"),
     "the failed copy, by its code");
  ok(has_line(t, "uch_job_duration_seconds_bucket{le=\"60\"} 1") &&
     has_line(t, "uch_job_duration_seconds_bucket{le=\"10\"} 0") &&
     has_line(t, "uch_job_duration_seconds_count 1"), "30.5 s in the 60 s bucket");
  ok(has_line(t, "uch_pass_duration_seconds_bucket{le=\"5\"} 1"), "the pass's 2.5 s");
  ok(!json_object_object_get_ex(json_get(ledger, "jobs"), "b#0", NULL),
     "the deleted job left the ledger");
  free(t);
  json_object_put(ledger);

  char *e = metrics_label_escape("a\"b\\c\nd");
  is_str(e, "a\\\"b\\\\c\\nd", "label escaping");
  free(e);

  for (int i = 0; i < 3; i++) {
    json_object_put(jobs[i]->doc);
    free(jobs[i]->id);
    free(jobs[i]);
  }
  return tap_done();
}
