/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs/job.h"
#include "jobs/request.h"
#include "runner/runner.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "worker/job-types.h"
#include "worker/modes.h"

int mode_start(const char *state_dir, const char *runtime_dir, const char *id)
{
  struct runner r;
  int status = 1;

  if (!job_id_valid(id)) {
    fprintf(stderr, "uch-job: invalid job id \"%s\"\n", id);
    return 1;
  }
  if (runner_open(&r, state_dir, runtime_dir, id, false) == 0)
    status = runner_run(&r, worker_run_job);
  runner_close(&r);
  return status;
}

static json_object *read_request(const char *file, struct uch_error *err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;

  if (read_file(file, &data, &len) < 0) {
    uch_error_set(err, "invalid_request", "", "%s", strerror(errno));
    return NULL;
  }
  return request_parse(data, len, err);
}

/* What uchd does on POST /v1/jobs: the job's directory, its request and
 * first state, and the secrets in the runtime dir. */
static int submit(const char *state_dir, const char *runtime_dir,
                  const char *id, json_object *sanitized,
                  const struct secrets *secrets)
{
  _cleanup_free_ char *dir = job_dir(state_dir, id);
  _cleanup_free_ char *req = job_file(state_dir, id, "request.json");
  _cleanup_free_ char *state = job_file(state_dir, id, "state.json");
  _cleanup_free_ char *rt = job_runtime_dir(runtime_dir, id);
  _cleanup_json_ json_object *doc = jobdoc_new(id, sanitized);
  struct stat st;

  if (!dir || !req || !state || !rt || !doc)
    return -1;
  if (stat(dir, &st) == 0) {
    fprintf(stderr, "uch-job: job %s already exists in %s\n", id, state_dir);
    return -1;
  }
  if (mkdir_p(dir, 0755) < 0 || json_write_path(req, sanitized, 0644) < 0 ||
      json_write_path(state, doc, 0644) < 0 || mkdir_p(runtime_dir, 0700) < 0 ||
      secrets_store(secrets, rt) < 0) {
    fprintf(stderr, "uch-job: creating job %s: %s\n", id, strerror(errno));
    return -1;
  }
  return 0;
}

int mode_run(const char *state_dir, const char *runtime_dir, const char *file)
{
  _cleanup_json_ json_object *req = NULL, *sanitized = NULL;
  _cleanup_free_ char *tmp_state = NULL, *tmp_rt = NULL;
  struct secrets secrets = { 0 };
  struct uch_error err = { 0 };
  char id[65];
  struct runner r;
  int status = 1, ret;

  req = read_request(file, &err);
  if (!req || request_validate(req, &sanitized, &secrets, &err) < 0) {
    fprintf(stderr, "uch-job: %s: %s\n", file, err.message);
    return 1;
  }
  const char *given = json_get_string(sanitized, "id");
  if (given)
    snprintf(id, sizeof id, "%s", given);
  else if (job_id_generate(id) < 0)
    goto out;
  if (!state_dir) {
    tmp_state = strdup("/tmp/uch-job.XXXXXX");
    if (!tmp_state || !mkdtemp(tmp_state))
      goto out;
    state_dir = tmp_state;
    fprintf(stderr, "uch-job: state directory %s\n", state_dir);
  }
  if (!runtime_dir) {
    if (asprintf(&tmp_rt, "%s/run", state_dir) < 0)
      goto out;
    runtime_dir = tmp_rt;
  }
  ret = submit(state_dir, runtime_dir, id, sanitized, &secrets);
  secrets_free(&secrets);
  if (ret < 0)
    return 1;
  if (runner_open(&r, state_dir, runtime_dir, id, true) == 0) {
    status = runner_run(&r, worker_run_job);
    printf("%s\n", json_object_to_json_string_ext(
             r.doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
  }
  runner_close(&r);
  return status;
out:
  secrets_free(&secrets);
  fprintf(stderr, "uch-job: %s\n", strerror(errno));
  return 1;
}
