/* SPDX-License-Identifier: GPL-2.0-or-later */
/* POST /v1/jobs/{id}/sync and /cutover: another pass of a running sync
 * job.  uchd moves no data: it validates the body and leaves it for the
 * worker as a request file (jobs/sync_request.h), which the worker sees
 * through inotify.  A file needs neither the worker's pid (uchd may have
 * restarted, or run it as a systemd unit) nor a signal handler, and it
 * survives until the worker reads it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/http.h"
#include "jobs/job-request.h"
#include "jobs/request.h"
#include "jobs/sync_request.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/log.h"

static enum MHD_Result conflict(struct http_request *r, struct job *j,
                                const char *why)
{
  return http_error(r, MHD_HTTP_CONFLICT, "conflict", NULL, "job '%s' %s",
                    j->id, why);
}

/* The sync request of job J, which must be a running sync job; or NULL,
 * with *res the answer that refuses it.  WHAT names what was asked
 * ("passes", "a digest"). */
static const struct sync_request *running_sync(struct http_request *r,
                                               struct job *j,
                                               const char *what,
                                               enum MHD_Result *res)
{
  const struct job_request *job;
  char why[128];

  if (strcmp(job_type(j), "sync") != 0) {
    snprintf(why, sizeof why, "is a %s job: %s are for sync jobs only",
             job_type(j), what);
    *res = conflict(r, j, why);
    return NULL;
  }
  if (job_state(j) != JOB_RUNNING) {
    snprintf(why, sizeof why, "is %s: %s are for a running sync job",
             job_state_name(job_state(j)), what);
    *res = conflict(r, j, why);
    return NULL;
  }
  /* the job's request, typed as its worker has it, from its state */
  if (!(job = job_request_of(j)) || job->kind != JOB_SYNC) {
    *res = http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "job '%s': its request cannot be read%s", j->id,
                      job ? ": not a sync request" : " (see uchd's log)");
    return NULL;
  }
  return &job->u.sync;
}

enum MHD_Result api_job_pass(struct http_request *r, const char *action)
{
  struct uch_error err = { 0 };
  const struct sync_request *sync;
  _cleanup_json_ json_object *body = NULL;
  _cleanup_free_ char *rt = NULL;
  struct job *j = api_find_job(r);
  enum MHD_Result res;

  if (!j)
    return api_not_found(r);
  if (!(sync = running_sync(r, j, "passes", &res)))
    return res;
  body = r->len ? request_parse(r->body, r->len, &err)
                : json_object_new_object();
  if (!body || request_sync_pass_action(body, action, sync, NULL,
                                           &err) < 0)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                      err.field, "%s", err.message);
  rt = job_runtime_dir(r->d->cfg.runtime_dir, j->id);
  if (!rt)
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "out of memory");
  if (sync_request_post(rt, action, body) < 0) {
    if (errno == EEXIST)
      return conflict(r, j, "already has a pass waiting to start: ask "
                      "again once it started");
    if (errno == EALREADY)
      return conflict(r, j, "is already cutting over");
    if (errno == ENOENT)
      return conflict(r, j, "is still starting: its worker takes passes "
                      "once it runs");
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "cannot hand the %s request to job '%s': %s", action,
                      j->id, strerror(errno));
  }
  log_job(LOG_INFO, j->id, "%s requested", action);
  return http_json(r, MHD_HTTP_ACCEPTED, j->doc);
}

/* POST /v1/jobs/{id}/digest: the source appliance's digest for the
 * verified pass running or next ("verify": true), left for the worker
 * as requests/digest.json; the pass takes it once it has flushed. */
enum MHD_Result api_job_digest(struct http_request *r)
{
  struct uch_error err = { 0 };
  const struct sync_request *sync;
  _cleanup_json_ json_object *body = NULL;
  _cleanup_free_ char *rt = NULL;
  struct job *j = api_find_job(r);
  enum MHD_Result res;

  if (!j)
    return api_not_found(r);
  if (!(sync = running_sync(r, j, "digests", &res)))
    return res;
  body = request_parse(r->body, r->len, &err);
  if (!body || request_pass_digest(body, sync, NULL, &err) < 0)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                      err.field, "%s", err.message);
  rt = job_runtime_dir(r->d->cfg.runtime_dir, j->id);
  if (!rt)
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "out of memory");
  if (sync_request_post_digest(rt, body) < 0) {
    if (errno == EEXIST)
      return conflict(r, j, "already has a digest waiting for its pass: "
                      "post again once that pass took it");
    if (errno == ENOENT)
      return conflict(r, j, "is still starting: its worker takes digests "
                      "once it runs");
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "cannot hand the digest to job '%s': %s", j->id,
                      strerror(errno));
  }
  log_job(LOG_INFO, j->id, "digest posted");
  return http_json(r, MHD_HTTP_ACCEPTED, j->doc);
}
