/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "uchd/create.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"

static int fsync_dir(const char *path)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -1 : fsync(fd);
}

int job_restart(struct uchd *d, struct job *j, struct job_request **request,
                const struct secrets *secrets, struct uch_error *err)
{
  _cleanup_free_ char *rt = job_runtime_dir(d->cfg.runtime_dir, j->id);
  json_object *doc = jobdoc_from(j->id, *request);
  struct job_request *old_req = j->req;
  json_object *old = j->doc;
  int64_t restarts = json_object_get_int64(json_get(old, "restarts"));

  if (!rt || !doc)
    goto fail;
  json_object_object_add(doc, "created_at",
                         json_object_get(json_get(old, "created_at")));
  json_object_object_add(doc, "restarts", json_object_new_int64(restarts + 1));
  rm_rf(rt);
  if (secrets_store(secrets, rt) < 0)
    goto fail;
  j->doc = doc;
  j->req = *request;
  if (job_save(&d->store, j) < 0) {
    j->doc = old;
    j->req = old_req;
    rm_rf(rt);
    goto fail;
  }
  json_object_put(old);
  job_request_free(old_req);
  *request = NULL;
  log_job(LOG_INFO, j->id, "restarted (restart %lld)",
          (long long)restarts + 1);
  return 0;

fail:
  uch_error_set(err, "internal", NULL, "cannot restart job '%s': %s", j->id,
                strerror(errno));
  if (doc && doc != j->doc)
    json_object_put(doc);
  return -1;
}

struct job *job_create(struct uchd *d, const char *id,
                       struct job_request **request,
                       const struct secrets *secrets, struct uch_error *err)
{
  _cleanup_free_ char *jobs = NULL, *tmp = NULL, *final = job_dir(
                        d->cfg.state_dir, id);
  _cleanup_free_ char *state = NULL, *req = NULL;
  _cleanup_free_ char *rt = job_runtime_dir(d->cfg.runtime_dir, id);
  json_object *doc = NULL;
  struct job *j;

  if (!final || !rt || asprintf(&jobs, "%s/jobs", d->cfg.state_dir) < 0 ||
      asprintf(&tmp, "%s/.new-%s-XXXXXX", jobs, id) < 0)
    goto fail;
  if (!mkdtemp(tmp))
    goto fail;
  chmod(tmp, 0755);
  doc = jobdoc_from(id, *request);
  if (asprintf(&state, "%s/state.json", tmp) < 0 ||
      asprintf(&req, "%s/request.json", tmp) < 0 ||
      json_write_path(state, doc, 0644) < 0 ||
      json_write_path(req, (*request)->json, 0644) < 0)
    goto fail;
  rm_rf(rt);
  if (secrets_store(secrets, rt) < 0)
    goto fail;
  if (rename(tmp, final) < 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      uch_error_set(err, "conflict", "id", "job '%s' already exists", id);
      goto cleanup;
    }
    goto fail;
  }
  fsync_dir(jobs);
  j = store_add(&d->store, id, doc);
  if (!j) {
    rm_rf(final);
    goto fail;
  }
  j->daemon = d;
  j->req = steal_ptr(*request);
  return j;

fail:
  uch_error_set(err, "internal", NULL, "cannot create job '%s' in %s: %s",
                id, d->cfg.state_dir, strerror(errno));
  log_job(LOG_ERR, id, "%s", err->message);
cleanup:
  {
    int saved = errno;
    if (tmp)
      rm_rf(tmp);
    if (rt)
      rm_rf(rt);
    json_object_put(doc);
    errno = saved;
  }
  return NULL;
}
