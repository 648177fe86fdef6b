/* SPDX-License-Identifier: GPL-2.0-or-later */
/* POST /v1/jobs/{id}/cancel, DELETE /v1/jobs/{id} */
#include <errno.h>
#include <string.h>

#include "api/http.h"
#include "api/metrics.h"
#include "uchd/destinations.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"

enum MHD_Result api_job_cancel(struct http_request *r)
{
  struct job *j = api_find_job(r);

  if (!j)
    return api_not_found(r);
  if (job_state_is_final(job_state(j)) && j->pid <= 0)
    return http_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
                      "job '%s' already ended (%s)", j->id,
                      job_state_name(job_state(j)));
  if (scheduler_cancel(r->d, j) < 0) {
    if (errno == EALREADY)
      return http_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
                        "job '%s' already ended (%s)", j->id,
                        job_state_name(job_state(j)));
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "cannot cancel job '%s': %s", j->id, strerror(errno));
  }
  return http_json(r, MHD_HTTP_ACCEPTED, j->doc);
}

enum MHD_Result api_job_delete(struct http_request *r)
{
  struct job *j = api_find_job(r);

  if (!j)
    return api_not_found(r);
  if (!job_state_is_final(job_state(j)) || j->pid > 0)
    return http_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
                      "job '%s' is %s: cancel it first", j->id,
                      job_state_name(job_state(j)));
  _cleanup_free_ char *dir = job_dir(r->d->cfg.state_dir, j->id);
  _cleanup_free_ char *rt = job_runtime_dir(r->d->cfg.runtime_dir, j->id);
  if (!dir || !rt || rm_rf(dir) < 0 || rm_rf(rt) < 0)
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "cannot remove the files of job '%s': %s", j->id,
                      strerror(errno));
  log_job(LOG_INFO, j->id, "deleted");
  metrics_update(r->d);   /* its last bytes and its end, counted */
  store_remove(&r->d->store, j);
  destinations_prune(&r->d->store, r->d->cfg.state_dir);
  return http_text(r, MHD_HTTP_NO_CONTENT, "application/json", "", 0, NULL,
                   NULL);
}
