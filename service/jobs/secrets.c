/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Secrets taken out of a request: kept in memory only until stored as
 * 0600 files in the job's runtime dir (see docs/internals.md, Secrets). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs/request.h"
#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/fs.h"

int secrets_add(struct secrets *s, const char *field, const char *value,
                size_t len)
{
  struct secret *v;
  char *f, *val;

  v = realloc(s->v, (s->n + 1) * sizeof *v);
  if (!v)
    return -1;
  s->v = v;
  f = strdup(field);
  val = malloc(len + 1);
  if (!f || !val) {
    free(f);
    free(val);
    errno = ENOMEM;
    return -1;
  }
  memcpy(val, value, len);
  val[len] = '\0';
  s->v[s->n++] = (struct secret){ .field = f, .value = val, .len = len };
  return 0;
}

char *secret_path(const char *job_runtime_dir, const char *field)
{
  char *path, *p;
  size_t dir_len = strlen(job_runtime_dir);

  /* "disks[0].x" -> "disks.0.x": never longer than the field itself. */
  if (asprintf(&path, "%s/secrets/%s", job_runtime_dir, field) < 0)
    return NULL;
  p = path + dir_len + sizeof "/secrets/" - 1;
  for (char *r = p; *r; r++) {
    if (*r == '[')
      *p++ = '.';
    else if (*r == ']')
      continue;
    else if (*r == '/')
      *p++ = '_';             /* never a directory separator */
    else
      *p++ = *r;
  }
  *p = '\0';
  return path;
}

int secrets_store(const struct secrets *s, const char *job_runtime_dir)
{
  _cleanup_free_ char *dir = NULL;

  if (mkdir_p(job_runtime_dir, 0700) < 0 || chmod(job_runtime_dir, 0700) < 0)
    return -1;
  if (asprintf(&dir, "%s/secrets", job_runtime_dir) < 0)
    return -1;
  if (mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0)
    return -1;
  for (size_t i = 0; i < s->n; i++) {
    _cleanup_free_ char *path = secret_path(job_runtime_dir, s->v[i].field);
    if (!path)
      return -1;
    if (write_file_atomic(path, s->v[i].value, s->v[i].len, 0600) < 0)
      return -1;
  }
  return 0;
}

void secrets_free(struct secrets *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++) {
    if (s->v[i].value)
      explicit_bzero(s->v[i].value, s->v[i].len);
    free(s->v[i].value);
    free(s->v[i].field);
  }
  free(s->v);
  s->v = NULL;
  s->n = 0;
}
