/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/metrics.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

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

char *metrics_format(const struct metrics_input *in)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  double bytes = in->bytes_forgotten;

  if (!f)
    return NULL;
  jobs_by_state(f, in);
  for (size_t i = 0; i < in->n_jobs; i++)
    bytes += progress_of(in->jobs[i]->doc, "bytes_done");
  fprintf(f, "# HELP uch_bytes_copied_total Bytes moved by the jobs uchd knows.\n"
             "# TYPE uch_bytes_copied_total counter\n"
             "uch_bytes_copied_total %.0f\n", bytes);
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
  for (size_t c = 0; c < in->n_codes; c++)
    if (in->http_responses[c])
      fprintf(f, "uch_http_responses_total{code=\"%zu\"} %llu\n", c,
              in->http_responses[c]);
  fprintf(f, "# HELP uch_slots_max Jobs that may run at once.\n"
             "# TYPE uch_slots_max gauge\n"
             "uch_slots_max %d\n", in->slots_max);
  fprintf(f, "# HELP uch_build_info The uchd build.\n"
             "# TYPE uch_build_info gauge\n"
             "uch_build_info{version=\"%s\"} 1\n", in->version);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

enum MHD_Result api_metrics(struct http_request *r)
{
  size_t n;
  _cleanup_free_ struct job **v = store_sorted(&r->d->store, &n);
  struct metrics_input in = {
    .jobs = v, .n_jobs = n, .http_responses = r->d->http_responses,
    .n_codes = HTTP_CODES, .slots_max = r->d->cfg.max_jobs,
    .bytes_forgotten = r->d->bytes_forgotten, .version = UCH_VERSION,
  };
  if (!v)
    return MHD_NO;
  _cleanup_free_ char *text = metrics_format(&in);
  if (!text)
    return MHD_NO;
  return http_text(r, MHD_HTTP_OK, "text/plain; version=0.0.4", text,
                   strlen(text), NULL, NULL);
}
