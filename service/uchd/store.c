/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "uchd/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"

enum job_state job_state(const struct job *j)
{
  return jobdoc_state(j->doc);
}

const char *job_type(const struct job *j)
{
  const char *t = json_get_string(j->doc, "type");
  return t ? t : "";
}

const char *job_created_at(const struct job *j)
{
  const char *t = json_get_string(j->doc, "created_at");
  return t ? t : "";
}

static bool stamp_changed(const struct job *j, const struct stat *st)
{
  return j->ino != st->st_ino || j->size != st->st_size ||
         j->mtime.tv_sec != st->st_mtim.tv_sec ||
         j->mtime.tv_nsec != st->st_mtim.tv_nsec;
}

static void stamp_set(struct job *j, const struct stat *st)
{
  j->ino = st->st_ino;
  j->size = st->st_size;
  j->mtime = st->st_mtim;
}

/* Reads state.json if its stamp differs from `j`'s; 1 when replaced. */
static int reread(struct store *s, struct job *j)
{
  _cleanup_free_ char *path = job_file(s->state_dir, j->id, "state.json");
  struct stat st;

  if (!path || stat(path, &st) < 0)
    return -1;
  if (j->doc && !stamp_changed(j, &st))
    return 0;
  json_object *doc = json_read_path(path);
  if (!doc || !json_object_is_type(doc, json_type_object)) {
    json_object_put(doc);
    return -1;
  }
  json_object_put(j->doc);
  j->doc = doc;
  stamp_set(j, &st);
  return 1;
}

void job_refresh(struct store *s, struct job *j)
{
  reread(s, j);
}

int job_save(struct store *s, struct job *j)
{
  _cleanup_free_ char *path = job_file(s->state_dir, j->id, "state.json");
  struct stat st;

  if (!path || json_write_path(path, j->doc, 0644) < 0)
    return -1;
  if (stat(path, &st) == 0)
    stamp_set(j, &st);
  return 0;
}

struct job *store_add(struct store *s, const char *id, json_object *doc)
{
  struct job *j = calloc(1, sizeof *j);

  if (!j || !(j->id = strdup(id)))
    goto err;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    struct job **v = realloc(s->v, cap * sizeof *v);
    if (!v)
      goto err;
    s->v = v;
    s->cap = cap;
  }
  j->pidfd = -1;
  j->doc = doc;
  if (doc) {
    /* remember the stamp of what we were given, if it is on disk */
    _cleanup_free_ char *path = job_file(s->state_dir, id, "state.json");
    struct stat st;
    if (path && stat(path, &st) == 0)
      stamp_set(j, &st);
  }
  s->v[s->n++] = j;
  return j;

err:
  if (j)
    free(j->id);
  free(j);
  return NULL;
}

static void job_free(struct job *j)
{
  if (!j)
    return;
  sd_event_source_disable_unref(j->worker_src);
  if (j->pidfd >= 0)
    close(j->pidfd);
  json_object_put(j->doc);
  free(j->id);
  free(j);
}

void store_remove(struct store *s, struct job *j)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i] == j) {
      memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof s->v[0]);
      s->n--;
      break;
    }
  job_free(j);
}

struct job *store_find(struct store *s, const char *id)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i]->id, id) == 0)
      return s->v[i];
  return NULL;
}

int store_load(struct store *s, const char *state_dir)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *e;

  s->state_dir = strdup(state_dir);
  if (!s->state_dir || asprintf(&dir, "%s/jobs", state_dir) < 0)
    return -1;
  if (mkdir_p(dir, 0755) < 0)
    return -1;
  d = opendir(dir);
  if (!d)
    return -1;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') {
      if (strncmp(e->d_name, ".new-", 5) == 0) {
        _cleanup_free_ char *leftover = NULL;
        if (asprintf(&leftover, "%s/%s", dir, e->d_name) >= 0)
          rm_rf(leftover);
      }
      continue;
    }
    if (!job_id_valid(e->d_name))
      continue;
    struct job *j = store_add(s, e->d_name, NULL);
    if (!j)
      return -1;
    if (reread(s, j) < 0) {
      log_warning("%s/%s/state.json: unreadable, job ignored", dir,
                  e->d_name);
      store_remove(s, j);
    }
  }
  return 0;
}

void store_free(struct store *s)
{
  for (size_t i = 0; i < s->n; i++)
    job_free(s->v[i]);
  free(s->v);
  free(s->state_dir);
  memset(s, 0, sizeof *s);
}

static int newest_first(const void *a, const void *b)
{
  const struct job *ja = *(struct job *const *)a;
  const struct job *jb = *(struct job *const *)b;
  int c = strcmp(job_created_at(jb), job_created_at(ja));
  return c ? c : strcmp(jb->id, ja->id);
}

struct job **store_sorted(struct store *s, size_t *n)
{
  struct job **v = malloc((s->n ? s->n : 1) * sizeof *v);

  if (!v)
    return NULL;
  for (size_t i = 0; i < s->n; i++) {
    job_refresh(s, s->v[i]);
    v[i] = s->v[i];
  }
  qsort(v, s->n, sizeof *v, newest_first);
  *n = s->n;
  return v;
}
