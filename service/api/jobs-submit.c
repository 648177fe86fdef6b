/* SPDX-License-Identifier: GPL-2.0-or-later */
/* POST /v1/jobs: validate, check id and disk conflicts, create, queue. */
#include <string.h>

#include "api/http.h"
#include "jobs/job-request.h"
#include "jobs/request.h"
#include "uchd/confine.h"
#include "uchd/conflict.h"
#include "uchd/create.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/log.h"

static void secrets_freep(struct secrets *s) { secrets_free(s); }
static void confine_passp(struct confine_pass *p) { confine_pass_free(p); }

static enum MHD_Result error_reply(struct http_request *r, unsigned code,
                                   const struct uch_error *err)
{
  if (strcmp(err->code, "forbidden_path") == 0)
    code = MHD_HTTP_FORBIDDEN;
  else if (strcmp(err->code, "internal") == 0)
    code = MHD_HTTP_INTERNAL_SERVER_ERROR;
  return http_error(r, code, err->code[0] ? err->code : "invalid_request",
                    err->field, "%s", err->message);
}

/* Same id again: the same request gets the job back (a retry), or, when
 * the job failed or was cancelled, starts it again (202), resuming where
 * it got to; another request is a conflict. */
static enum MHD_Result resubmitted(struct http_request *r, struct job *j,
                                   struct job_request **typed,
                                   const struct secrets *secrets)
{
  struct uch_error err = { 0 };
  enum job_state st;
  int c;

  job_refresh(&r->d->store, j);
  st = job_state(j);
  if (json_object_equal(json_get(j->doc, "request"), (*typed)->json)) {
    if ((st != JOB_FAILED && st != JOB_CANCELLED) || j->pid > 0)
      return http_json(r, MHD_HTTP_OK, j->doc);
    c = conflict_check(&r->d->store, *typed, &err);
    if (c != 0)
      return c > 0 ? error_reply(r, c == 1 ? MHD_HTTP_CONFLICT
                                           : MHD_HTTP_BAD_REQUEST, &err)
                   : http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                "internal", NULL,
                                "cannot check the request's disks");
    if (job_restart(r->d, j, typed, secrets, &err) < 0)
      return error_reply(r, MHD_HTTP_INTERNAL_SERVER_ERROR, &err);
    scheduler_run(r->d);
    return http_json(r, MHD_HTTP_ACCEPTED, j->doc);
  }
  return http_error(r, MHD_HTTP_CONFLICT, "conflict", "id",
                    "a job with id '%s' already exists with a different "
                    "request", j->id);
}

enum MHD_Result api_jobs_submit(struct http_request *r)
{
  struct uch_error err = { 0 };
  _cleanup_json_ json_object *req = NULL, *sanitized = NULL;
  /* the sanitised request typed, once: what the job keeps */
  _cleanup_(job_request_freep) struct job_request *typed = NULL;
  _cleanup_(secrets_freep) struct secrets secrets = { 0 };
  _cleanup_(confine_passp) struct confine_pass cp = { .c = &r->d->confine };
  char generated[17];
  const char *id;
  struct job *j;

  req = request_parse(r->body ? r->body : "", r->len, &err);
  if (!req)
    return error_reply(r, MHD_HTTP_BAD_REQUEST, &err);
  /* the confinement policy: a secret file judged as the validator
   * meets it (before it is read), the other paths once the request is
   * otherwise valid; then the disks only the request's files name (a
   * domain XML's) */
  if (request_validate_paths(req, &sanitized, &secrets, confine_pass_path,
                             &cp, &err) < 0 ||
      confine_pass_check(&cp, &err) < 0)
    return error_reply(r, MHD_HTTP_BAD_REQUEST, &err);
  /* the request the job keeps, typed as its worker will type it: the
   * validator just accepted it, so this cannot fail but for memory */
  if (request_load(sanitized, &typed, &err) < 0)
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                      err.field, "the sanitised request: %s", err.message);
  if (confine_request_disks(&r->d->confine, typed, &err) < 0)
    return error_reply(r, MHD_HTTP_BAD_REQUEST, &err);
  id = typed->id;
  if (id && (j = store_find(&r->d->store, id)))
    return resubmitted(r, j, &typed, &secrets);
  if (!id) {
    do {
      if (job_id_generate(generated) < 0)
        return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                          NULL, "cannot generate a job id");
    } while (store_find(&r->d->store, generated));
    id = generated;
  }
  int c = conflict_check(&r->d->store, typed, &err);
  if (c != 0)
    return c > 0 ? error_reply(r, c == 1 ? MHD_HTTP_CONFLICT
                                         : MHD_HTTP_BAD_REQUEST, &err)
                 : http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                              NULL, "cannot check the request's disks");
  j = job_create(r->d, id, &typed, &secrets, &err);
  if (!j)
    return error_reply(r, strcmp(err.code, "conflict") == 0
                            ? MHD_HTTP_CONFLICT
                            : MHD_HTTP_INTERNAL_SERVER_ERROR, &err);
  log_job(LOG_INFO, j->id, "submitted (%s)", job_type(j));
  scheduler_run(r->d);
  return http_json(r, MHD_HTTP_CREATED, j->doc);
}
