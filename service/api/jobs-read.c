/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /v1/jobs, GET /v1/jobs/{id}, GET /v1/jobs/{id}/log */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/http.h"
#include "api/wait-query.h"
#include "util/cleanup.h"

/* docs/api.md: one answer is at most 4 MiB */
#define LOG_ANSWER_MAX (4ULL * 1024 * 1024)

struct job *api_find_job(struct http_request *r)
{
  struct job *j = store_find(&r->d->store, r->route.id);
  if (j)
    job_refresh(&r->d->store, j);
  return j;
}

enum MHD_Result api_not_found(struct http_request *r)
{
  return http_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                    "no job with id '%s'", r->route.id);
}

enum MHD_Result api_job_get(struct http_request *r)
{
  struct wait_query q;
  const char *field = NULL;
  char msg[256];

  if (r->wait) {
    /* called again after the wait: the job as it is now */
    struct job *j = api_find_job(r);
    return j ? http_json(r, MHD_HTTP_OK, j->doc) : api_not_found(r);
  }
  if (wait_query_parse(http_query(r, "wait_s"), http_query(r, "until"), &q,
                       &field, msg, sizeof msg) < 0)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request", field,
                      "%s", msg);
  struct job *j = api_find_job(r);
  if (!j)
    return api_not_found(r);
  if (q.wait_s == 0 || wait_query_done(j->doc, q.until))
    return http_json(r, MHD_HTTP_OK, j->doc);
  return api_wait_start(r, j, &q);
}

enum MHD_Result api_jobs_list(struct http_request *r)
{
  const char *state = http_query(r, "state");
  const char *type = http_query(r, "type");
  size_t n;

  if (state && job_state_from_name(state) < 0)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request", "state",
                      "state: '%s' is not one of queued, running, "
                      "succeeded, failed, cancelled", state);
  _cleanup_free_ struct job **v = store_sorted(&r->d->store, &n);
  if (!v)
    return MHD_NO;
  json_object *o = json_object_new_object(), *list = json_object_new_array();
  for (size_t i = 0; i < n; i++) {
    if (state && strcmp(job_state_name(job_state(v[i])), state) != 0)
      continue;
    if (type && strcmp(job_type(v[i]), type) != 0)
      continue;
    json_object_array_add(list, json_object_get(v[i]->doc));
  }
  json_object_object_add(o, "jobs", list);
  enum MHD_Result ret = http_json(r, MHD_HTTP_OK, o);
  json_object_put(o);
  return ret;
}

static int parse_offset(const char *s, unsigned long long *out)
{
  char *end;
  if (!s) {
    *out = 0;
    return 0;
  }
  errno = 0;
  *out = strtoull(s, &end, 10);
  return errno || end == s || *end || *s == '-' ? -1 : 0;
}

enum MHD_Result api_job_log(struct http_request *r)
{
  struct job *j = api_find_job(r);
  unsigned long long offset;
  struct stat st;
  char size_str[32];

  if (!j)
    return api_not_found(r);
  if (parse_offset(http_query(r, "offset"), &offset) < 0)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request", "offset",
                      "offset: must be a byte position (0 or more)");
  _cleanup_free_ char *path = job_file(r->d->cfg.state_dir, j->id, "job.log");
  _cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0 || fstat(fd, &st) < 0) {
    /* no log yet: an empty one */
    return http_text(r, MHD_HTTP_OK, "text/plain; charset=utf-8", "", 0,
                     "X-Log-Size", "0");
  }
  unsigned long long size = (unsigned long long)st.st_size;
  if (offset > size)
    offset = size;
  unsigned long long len = size - offset;
  if (len > LOG_ANSWER_MAX)
    len = LOG_ANSWER_MAX;
  /* X-Log-Size: where the body ends (the file's size unless cut at
   * LOG_ANSWER_MAX), so a follower asks again from there */
  snprintf(size_str, sizeof size_str, "%llu", offset + len);
  return http_file(r, "text/plain; charset=utf-8", steal_fd(fd), offset, len,
                   "X-Log-Size", size_str);
}
