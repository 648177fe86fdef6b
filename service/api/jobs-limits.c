/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PATCH /v1/jobs/{id}: a running (or queued) copy's limits.  The
 * bandwidth goes to RUNTIME/jobs/ID/bandwidth, the file nbdkit's rate
 * filter in front of each source re-reads (rate-file), so it takes
 * effect within a second or two without the worker doing anything. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "api/http.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"

static enum MHD_Result bad(struct http_request *r, struct uch_error *err)
{
  return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                    err->field, "%s", err->message);
}

enum MHD_Result api_job_patch(struct http_request *r)
{
  struct uch_error err = { 0 };
  _cleanup_json_ json_object *body = NULL;
  struct job *j = api_find_job(r);

  if (!j)
    return api_not_found(r);
  body = request_parse(r->body ? r->body : "", r->len, &err);
  if (!body || request_limits_patch(body, &err) < 0)
    return bad(r, &err);
  if (strcmp(job_type(j), "copy") != 0 && strcmp(job_type(j), "sync") != 0)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request", "limits",
                      "limits: only copy and sync jobs have limits, job '%s' is "
                      "%s", j->id, job_type(j));
  if (job_state_is_final(job_state(j)))
    return http_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
                      "job '%s' already ended (%s)", j->id,
                      job_state_name(job_state(j)));
  json_object *limits = json_get(body, "limits");
  const char *bw = json_get_string(limits, "bandwidth");
  _cleanup_free_ char *rt = job_runtime_dir(r->d->cfg.runtime_dir, j->id);
  _cleanup_free_ char *file = NULL;
  if (bw) {
    if (!rt || asprintf(&file, "%s/bandwidth", rt) < 0 ||
        (mkdir(rt, 0700) < 0 && errno != EEXIST) ||
        write_file_atomic(file, bw, strlen(bw), 0600) < 0)
      return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                        "cannot set the bandwidth of job '%s': %s", j->id,
                        strerror(errno));
    log_job(LOG_INFO, j->id, "bandwidth limit now %s bits/s", bw);
  }
  json_object *o = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_string(j->id));
  json_object_object_add(o, "limits", json_object_get(limits));
  enum MHD_Result ret = http_json(r, MHD_HTTP_OK, o);
  json_object_put(o);
  return ret;
}
