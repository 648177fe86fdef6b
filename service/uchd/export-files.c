/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The files running export jobs hand out (see export-files.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/job-types.h"
#include "uchd/export-files.h"
#include "uchd/uchd.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/nbd-uri.h"

/* `file`, resolved, is `real` and lies in the job's own runtime dir. */
static bool is(const char *file, const char *real, const char *job_dir)
{
  _cleanup_free_ char *r = file ? confine_resolve(file) : NULL;
  size_t n = strlen(job_dir);

  return r && strcmp(r, real) == 0 && strncmp(r, job_dir, n) == 0 &&
         r[n] == '/';
}

static bool serves(struct job *j, const char *real, const char *job_dir)
{
  json_object *result = json_get(j->doc, "result");
  json_object *exports = json_get(result, "exports");

  if (is(json_get_string(result, "tls_psk_file"), real, job_dir))
    return true;
  if (!json_object_is_type(exports, json_type_array))
    return false;
  for (size_t i = 0; i < json_object_array_length(exports); i++) {
    const char *uri = json_get_string(json_object_array_get_idx(exports, i),
                                      "uri");
    struct uch_nbd_uri u = { 0 };
    char why[128];
    bool found = false;

    if (uri && uch_nbd_uri_parse(uri, &u, why, sizeof why) == 0)
      found = is(u.socket, real, job_dir);
    uch_nbd_uri_free(&u);
    if (found)
      return true;
  }
  return false;
}

bool export_serves(void *opaque, const char *real)
{
  struct uchd *d = opaque;

  for (size_t i = 0; i < d->store.n; i++) {
    struct job *j = d->store.v[i];
    const struct job_type *t = job_type_find(job_type(j));
    _cleanup_free_ char *job_dir = NULL;

    if (!t || t->kind != JOB_EXPORT)
      continue;
    job_refresh(&d->store, j);
    if (job_state(j) != JOB_RUNNING)
      continue;
    if (asprintf(&job_dir, "%s/jobs/%s", d->confine.runtime_dir, j->id) < 0)
      return false;
    if (serves(j, real, job_dir))
      return true;
  }
  return false;
}
