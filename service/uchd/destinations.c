/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/job.h"
#include "uchd/destinations.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/log.h"

struct keys {
  char **v;
  size_t n;
};

static void keys_free(struct keys *k)
{
  for (size_t i = 0; i < k->n; i++)
    free(k->v[i]);
  free(k->v);
}

static bool keys_has(const struct keys *k, const char *key)
{
  for (size_t i = 0; i < k->n; i++)
    if (strcmp(k->v[i], key) == 0)
      return true;
  return false;
}

/* The marker name (dest-generation.c) of a checkpoint's "destination":
 * {"rdev": N} or {"dev": N, "ino": M}. */
static char *marker_name(json_object *id)
{
  json_object *rdev = json_get(id, "rdev"), *dev = json_get(id, "dev");
  json_object *ino = json_get(id, "ino");
  char *name = NULL;

  if (rdev && asprintf(&name, "rdev-%llu.json",
                       (unsigned long long)json_object_get_int64(rdev)) < 0)
    return NULL;
  if (!rdev && dev && ino &&
      asprintf(&name, "dev-%llu-ino-%llu.json",
               (unsigned long long)json_object_get_int64(dev),
               (unsigned long long)json_object_get_int64(ino)) < 0)
    return NULL;
  return name;
}

/* The markers of every destination job_dir holds a checkpoint of. */
static void checkpoint_keys(const char *job_dir, struct keys *k)
{
  _cleanup_closedir_ DIR *d = opendir(job_dir);
  struct dirent *e;

  while (d && (e = readdir(d))) {
    _cleanup_free_ char *path = NULL, *name = NULL;
    _cleanup_json_ json_object *o = NULL;
    char **v;

    if (strncmp(e->d_name, "checkpoint-", 11) != 0 ||
        asprintf(&path, "%s/%s", job_dir, e->d_name) < 0 ||
        !(o = json_read_path(path)) ||
        !(name = marker_name(json_get(o, "destination"))) ||
        keys_has(k, name) || !(v = realloc(k->v, (k->n + 1) * sizeof *v)))
      continue;
    k->v = v;
    k->v[k->n++] = steal_ptr(name);
  }
}

static bool active(struct job *j)
{
  return !job_state_is_final(job_state(j)) || j->pid > 0;
}

unsigned destinations_prune(struct store *s, const char *state_dir)
{
  _cleanup_free_ char *top = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  struct keys keep = { 0 };
  struct dirent *e;
  unsigned removed = 0;

  if (asprintf(&top, "%s/destinations", state_dir) < 0 ||
      !(d = opendir(top)))
    return 0;
  /* a job a resubmit restarts (failed, cancelled) resumes from its
   * checkpoints: their destinations' markers say whether it may, and
   * which job wrote one since */
  for (size_t i = 0; i < s->n; i++) {
    struct job *j = s->v[i];
    _cleanup_free_ char *dir = NULL;
    enum job_state st;

    job_refresh(s, j);
    st = job_state(j);
    if (active(j) || (st != JOB_FAILED && st != JOB_CANCELLED) ||
        !(dir = job_dir(state_dir, j->id)))
      continue;
    checkpoint_keys(dir, &keep);
  }
  while ((e = readdir(d))) {
    _cleanup_free_ char *path = NULL;
    _cleanup_json_ json_object *m = NULL;
    const char *id;
    struct job *j;
    size_t n = strlen(e->d_name);

    if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json") ||
        keys_has(&keep, e->d_name) ||
        asprintf(&path, "%s/%s", top, e->d_name) < 0)
      continue;
    m = json_read_path(path);
    /* its job writing it now: it made it, and checkpoints by it */
    if ((id = json_get_string(m, "job")) && (j = store_find(s, id)) &&
        active(j))
      continue;
    if (unlink(path) == 0)
      removed++;
  }
  keys_free(&keep);
  if (removed)
    log_info("removed %u destination marker%s no job can resume by",
             removed, removed == 1 ? "" : "s");
  return removed;
}
