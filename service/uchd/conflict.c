/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/job-types.h"
#include "uchd/confine.h"
#include "uchd/conflict.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "volumes/volumes.h"

static int push_use(struct disk_uses *u, struct disk_use use)
{
  struct disk_use *v = realloc(u->v, (u->n + 1) * sizeof *v);
  if (!v) {
    free(use.name);
    return -1;
  }
  u->v = v;
  u->v[u->n++] = use;
  return 0;
}

static int add_use(struct disk_uses *u, const char *path, bool writes,
                   const char *field)
{
  struct disk_use use = { .writes = writes };
  struct stat st;
  bool found;

  snprintf(use.field, sizeof use.field, "%s", field);
  found = stat(path, &st) == 0;
  if (found && S_ISBLK(st.st_mode)) {
    use.kind = USE_BLOCK;
    use.dev = st.st_rdev;
  } else if (found) {
    use.kind = USE_FILE;
    use.dev = st.st_dev;
    use.ino = st.st_ino;
  } else {
    use.kind = USE_NAME;
    if (!(use.name = confine_resolve(path)))
      return -1;
  }
  return push_use(u, use);
}

struct walk {
  struct disk_uses *out;
  struct volume_list attached;
  bool listed;
};

/* {"volume": ID}: by its id, so two jobs naming a volume not attached yet
 * still clash, and by its device when it is attached now. */
static int add_volume_use(struct walk *w, const char *id, bool writes,
                          const char *field)
{
  struct disk_use use = { .kind = USE_NAME, .writes = writes };
  const struct volume *v;

  if (!w->listed) {
    w->listed = true;
    if (volumes_list(volume_by_id_dir(), &w->attached) < 0)
      w->attached.n = 0;                  /* by id only */
  }
  snprintf(use.field, sizeof use.field, "%s", field);
  if (asprintf(&use.name, "volume:%s", id) < 0)
    return -1;
  if (push_use(w->out, use) < 0)
    return -1;
  if (!(v = volume_find(&w->attached, id)))
    return 0;
  use.kind = USE_BLOCK;
  use.dev = v->devnum;
  use.name = NULL;
  return push_use(w->out, use);
}

static int add_disk(void *opaque, const char *field, const char *path,
                    const char *volume, bool writes)
{
  struct walk *w = opaque;

  if (path)
    return add_use(w->out, path, writes, field);
  return add_volume_use(w, volume, writes, field);
}

int request_disk_uses(const struct job_request *r, struct disk_uses *out)
{
  struct walk w = { .out = out };
  int ret;

  ret = job_request_disks(r, add_disk, &w) ? -1 : 0;
  volume_list_free(&w.attached);
  return ret;
}

void disk_uses_free(struct disk_uses *u)
{
  for (size_t i = 0; i < u->n; i++)
    free(u->v[i].name);
  free(u->v);
  u->v = NULL;
  u->n = 0;
}

bool disk_use_same(const struct disk_use *a, const struct disk_use *b)
{
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case USE_BLOCK: return a->dev == b->dev;
  case USE_FILE: return a->dev == b->dev && a->ino == b->ino;
  case USE_NAME: return strcmp(a->name, b->name) == 0;
  }
  return false;
}

static bool clash(const struct disk_uses *mine, const struct disk_uses *theirs,
                  const struct disk_use **which)
{
  for (size_t i = 0; i < mine->n; i++)
    for (size_t k = 0; k < theirs->n; k++)
      if ((mine->v[i].writes || theirs->v[k].writes) &&
          disk_use_same(&mine->v[i], &theirs->v[k])) {
        *which = &mine->v[i];
        return true;
      }
  return false;
}

/* Within one request: a disk written twice, or read and written. */
static bool self_clash(const struct disk_uses *u, struct uch_error *err)
{
  for (size_t i = 0; i < u->n; i++)
    for (size_t k = i + 1; k < u->n; k++)
      if ((u->v[i].writes || u->v[k].writes) &&
          disk_use_same(&u->v[i], &u->v[k])) {
        uch_error_set(err, "invalid_request", u->v[k].field,
                      "the same file or device as %s in this request",
                      u->v[i].field);
        return true;
      }
  return false;
}

int conflict_check(struct store *store, const struct job_request *request,
                   struct uch_error *err)
{
  struct disk_uses mine = { 0 };
  int r = 0;

  if (request_disk_uses(request, &mine) < 0)
    return -1;
  if (self_clash(&mine, err)) {
    disk_uses_free(&mine);
    return 2;
  }
  for (size_t i = 0; mine.n > 0 && i < store->n && r == 0; i++) {
    struct job *j = store->v[i];
    struct disk_uses theirs = { 0 };
    const struct disk_use *which;
    const struct job_request *req;

    job_refresh(store, j);
    if (job_state_is_final(job_state(j)) && j->pid <= 0)
      continue;
    if ((req = job_request_of(j)) &&
        request_disk_uses(req, &theirs) == 0 &&
        clash(&mine, &theirs, &which)) {
      uch_error_set(err, "conflict", which->field,
                    "the same file or device is %s by active job '%s' "
                    "(%s)",
                    which->writes ? "in use" : "written", j->id,
                    job_state_name(job_state(j)));
      r = 1;
    }
    disk_uses_free(&theirs);
  }
  disk_uses_free(&mine);
  return r;
}
