/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Prometheus text: every series, zero gauges for states with no
 * jobs, progress only for running jobs, label escaping. */
#include <stdlib.h>
#include <string.h>

#include "api/metrics.h"
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
  struct metrics_input in = { .jobs = jobs, .n_jobs = 3, .http_responses = codes,
                             .n_codes = 600, .slots_max = 4,
                             .bytes_forgotten = 500, .version = "1.2.3" };
  char *t = metrics_format(&in);

  ok(t != NULL, "formatted");
  ok(has_line(t, "# TYPE uch_jobs gauge"), "uch_jobs TYPE");
  ok(has_line(t, "uch_jobs{state=\"running\",type=\"copy\"} 1"), "running copy");
  ok(has_line(t, "uch_jobs{state=\"succeeded\",type=\"copy\"} 1"), "succeeded copy");
  ok(has_line(t, "uch_jobs{state=\"failed\",type=\"copy\"} 0"), "zero failed copy");
  ok(has_line(t, "uch_jobs{state=\"queued\",type=\"export\"} 1"), "queued export");
  ok(has_line(t, "uch_bytes_copied_total 3500"), "bytes copied, deleted jobs too");
  ok(has_line(t, "uch_job_progress_percent{id=\"a\",type=\"copy\"} 42.5"),
     "progress of the running job");
  ok(!strstr(t, "uch_job_progress_percent{id=\"b\""), "no progress for finished");
  ok(has_line(t, "uch_http_responses_total{code=\"200\"} 7"), "200 count");
  ok(has_line(t, "uch_http_responses_total{code=\"404\"} 1"), "404 count");
  ok(!strstr(t, "code=\"500\""), "codes never sent are left out");
  ok(has_line(t, "uch_slots_max 4"), "slots");
  ok(has_line(t, "uch_build_info{version=\"1.2.3\"} 1"), "build info");
  ok(t[strlen(t) - 1] == '\n', "ends with a newline");
  free(t);

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
