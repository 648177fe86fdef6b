/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "jobs/request.h"
#include "uchd/job-wait.h"
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

  if (j->unsaved)
    return 0;                  /* ours is newer: it could not be written */
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

/* What uchd keeps free for its own writes of state.json (a failed or
 * cancelled job's last state) when the state dir fills up. */
#define UCHD_RESERVE (1024 * 1024)

bool state_dir_full(const char *state_dir)
{
  struct statvfs sv;

  return statvfs(state_dir, &sv) == 0 &&
         (uint64_t)sv.f_bavail * sv.f_frsize < 64 * 1024;
}

static void reserve_make(struct store *s)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_close_ int fd = -1;
  int e;

  if (s->reserve || asprintf(&path, "%s/uchd.reserve", s->state_dir) < 0)
    return;
  fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || (e = posix_fallocate(fd, 0, UCHD_RESERVE)) != 0) {
    if (fd >= 0)
      unlink(path);
    return;
  }
  s->reserve = steal_ptr(path);
}

int job_save(struct store *s, struct job *j)
{
  _cleanup_free_ char *path = job_file(s->state_dir, j->id, "state.json");
  struct stat st;

  if (!path)
    return -1;
  if (json_write_path(path, j->doc, 0644) < 0) {
    if (errno != ENOSPC || !s->reserve) {
      j->unsaved = true;
      return -1;
    }
    unlink(s->reserve);
    log_warning("%s: no space left on device; freed %s to write it",
                path, s->reserve);
    free(s->reserve);
    s->reserve = NULL;
    if (json_write_path(path, j->doc, 0644) < 0) {
      j->unsaved = true;
      return -1;
    }
  }
  j->unsaved = false;
  if (stat(path, &st) == 0)
    stamp_set(j, &st);
  if (!s->reserve && !state_dir_full(s->state_dir))
    reserve_make(s);
  return 0;
}

void store_save_pending(struct store *s)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i]->unsaved && s->v[i]->pid == 0 && job_save(s, s->v[i]) == 0)
      log_info("job %s: its state is written now", s->v[i]->id);
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
  job_wait_notify(j, true);
  sd_event_source_disable_unref(j->worker_src);
  if (j->pidfd >= 0)
    close(j->pidfd);
  json_object_put(j->doc);
  job_request_free(j->req);
  free(j->id);
  free(j);
}

const struct job_request *job_request_of(struct job *j)
{
  struct uch_error err = { 0 };

  if (!j->req && request_load(json_get(j->doc, "request"), &j->req, &err) < 0)
    log_job(LOG_ERR, j->id, "its request cannot be read: %s%s%s",
            err.field, err.field[0] ? ": " : "", err.message);
  return j->req;
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

static bool lock_held(const char *state_dir, const char *id)
{
  _cleanup_free_ char *path = job_file(state_dir, id, "worker.lock");
  _cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0)
    return false;
  return errno == EWOULDBLOCK;
}

/* A job directory whose state.json is missing, empty or not a JSON object
 * (a crash of the machine while it was written, a full disk in an older
 * version): the job was hidden and its id taken for ever.  With its
 * request.json the job comes back: failed (resubmitting the same request
 * restarts it, a copy from its checkpoint), or running when a worker
 * still holds its lock (that worker writes the state again, uchd adopts
 * it).  Without one nothing can be known of it: the directory is moved
 * aside to .broken-ID-XXXXXX (kept for its log), which frees the id.
 * The bad state.json is kept as state.json.broken. */
static struct job *job_recover(struct store *s, const char *dir,
                               const char *id)
{
  _cleanup_free_ char *state = job_file(s->state_dir, id, "state.json");
  _cleanup_free_ char *req = job_file(s->state_dir, id, "request.json");
  _cleanup_free_ char *broken = NULL, *jobdir = NULL;
  json_object *request = NULL, *doc = NULL;
  struct job *j;
  char msg[512];

  if (!state || !req || asprintf(&broken, "%s.broken", state) < 0)
    return NULL;
  request = json_read_path(req);
  if (!request || !json_object_is_type(request, json_type_object)) {
    json_object_put(request);
    if (asprintf(&jobdir, "%s/%s", dir, id) < 0)
      return NULL;
    _cleanup_free_ char *aside = NULL;
    if (asprintf(&aside, "%s/.broken-%s-XXXXXX", dir, id) < 0 ||
        !mkdtemp(aside) || rename(jobdir, aside) < 0) {
      log_error("%s: state.json and request.json unreadable, and it cannot "
                "be moved aside: %m; job ignored", jobdir);
      return NULL;
    }
    log_warning("%s: state.json and request.json unreadable; moved to %s, "
                "the id '%s' is free again", jobdir, aside, id);
    return NULL;
  }
  doc = jobdoc_new(id, request);
  json_object_put(request);
  if (!doc)
    return NULL;
  if (lock_held(s->state_dir, id)) {
    jobdoc_set_state(doc, JOB_RUNNING);
    snprintf(msg, sizeof msg, "state.json was unreadable when uchd started; "
             "a worker still holds the job and will write it again");
  } else {
    snprintf(msg, sizeof msg,
             "state.json was found empty or unreadable when uchd started "
             "(a crash while it was written?), so this job's outcome is "
             "unknown; submit the same request again to restart it "
             "(a copy resumes from its checkpoint)");
    jobdoc_set_error(doc, "worker_lost", msg);
    jobdoc_set_state(doc, JOB_FAILED);
  }
  if (rename(state, broken) < 0 && errno != ENOENT)
    log_warning("%s: cannot keep it as %s: %m", state, broken);
  if (json_write_path(state, doc, 0644) < 0) {
    log_error("%s: cannot write the recovered state: %m; job ignored", state);
    json_object_put(doc);
    return NULL;
  }
  j = store_add(s, id, doc);
  if (!j) {
    json_object_put(doc);
    return NULL;
  }
  log_warning("job %s: %s (the old file is %s)", id, msg, broken);
  return j;
}

int store_load(struct store *s, const char *state_dir)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *e;

  s->state_dir = strdup(state_dir);
  if (!s->state_dir || asprintf(&dir, "%s/jobs", state_dir) < 0)
    return -1;
  reserve_make(s);
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
      store_remove(s, j);
      job_recover(s, dir, e->d_name);
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
  free(s->reserve);
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
