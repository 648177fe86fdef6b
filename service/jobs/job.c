/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "jobs/job-request.h"
#include "jobs/job.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"

static const char *const state_names[JOB_STATE_COUNT] = {
  [JOB_QUEUED] = "queued",       [JOB_RUNNING] = "running",
  [JOB_SUCCEEDED] = "succeeded", [JOB_FAILED] = "failed",
  [JOB_CANCELLED] = "cancelled",
};

const char *job_state_name(enum job_state s)
{
  return (unsigned)s < JOB_STATE_COUNT ? state_names[s] : "failed";
}

int job_state_from_name(const char *name)
{
  for (int i = 0; name && i < JOB_STATE_COUNT; i++)
    if (strcmp(state_names[i], name) == 0)
      return i;
  return -1;
}

bool job_id_valid(const char *id)
{
  size_t n = id ? strlen(id) : 0;

  if (n < 1 || n > 64 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return false;
  return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789._-") == n;
}

int job_id_generate(char out[17])
{
  unsigned char b[8];
  if (getrandom(b, sizeof b, 0) != sizeof b)
    return -1;
  for (int i = 0; i < 8; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
  return 0;
}

char *job_dir(const char *state_dir, const char *id)
{
  char *p;
  return asprintf(&p, "%s/jobs/%s", state_dir, id) < 0 ? NULL : p;
}

char *job_file(const char *state_dir, const char *id, const char *name)
{
  char *p;
  return asprintf(&p, "%s/jobs/%s/%s", state_dir, id, name) < 0 ? NULL : p;
}

char *job_runtime_dir(const char *runtime_dir, const char *id)
{
  char *p;
  return asprintf(&p, "%s/jobs/%s", runtime_dir, id) < 0 ? NULL : p;
}

static void set_now(json_object *doc, const char *key)
{
  char ts[RFC3339_LEN];
  time_rfc3339_now(ts);
  json_object_object_add(doc, key, json_object_new_string(ts));
}

static json_object *progress_new(void)
{
  json_object *p = json_object_new_object();
  json_object_object_add(p, "percent", json_object_new_double(0));
  json_object_object_add(p, "bytes_done", json_object_new_int64(0));
  json_object_object_add(p, "bytes_total", json_object_new_int64(0));
  return p;
}

/* A disk of the job document: its progress, and the source and
 * destination objects the typed request kept (NULL: none). */
static void disk_add(json_object *disks, json_object *source,
                     json_object *destination)
{
  json_object *d = progress_new();

  if (source)
    json_object_object_add(d, "source", json_object_get(source));
  if (destination)
    json_object_object_add(d, "destination", json_object_get(destination));
  json_object_array_add(disks, d);
}

/* One entry per disk of the typed request, so a client sees the shape
 * of the job before the worker starts: a copy's or sync's source and
 * destination, an export's or inspect's source, an inplace's disk
 * (its progress only); a convert has none (its disks are known once
 * virt-v2v has read the input). */
static json_object *disks_new(const struct job_request *r)
{
  json_object *out = json_object_new_array();
  const struct copy_disk_request *cd = NULL;
  size_t n = 0;

  if (!r)
    return out;
  switch (r->kind) {
  case JOB_COPY:
    cd = r->u.copy.disks, n = r->u.copy.n_disks;
    break;
  case JOB_SYNC:
    cd = r->u.sync.disks, n = r->u.sync.n_disks;
    break;
  case JOB_EXPORT:
    for (size_t i = 0; i < r->u.export.n_disks; i++)
      disk_add(out, r->u.export.disks[i].source, NULL);
    break;
  case JOB_INSPECT:
    for (size_t i = 0; i < r->u.inspect.n_disks; i++)
      disk_add(out, r->u.inspect.sources[i].json, NULL);
    break;
  case JOB_DIGEST:
    for (size_t i = 0; i < r->u.digest.n_disks; i++)
      disk_add(out, r->u.digest.disks[i].source, NULL);
    break;
  case JOB_INPLACE:
    for (size_t i = 0; i < r->u.inplace.n_disks; i++)
      disk_add(out, NULL, NULL);
    break;
  case JOB_CONVERT:
    break;
  }
  for (size_t i = 0; i < n; i++)
    disk_add(out, cd[i].source.json, cd[i].destination.json);
  return out;
}

static json_object *jobdoc(const char *id, const struct job_request *r,
                           json_object *request)
{
  const struct job_type *t = r ? job_type_get(r->kind)
                               : job_type_of(request);
  json_object *doc = json_object_new_object();

  json_object_object_add(doc, "id", json_object_new_string(id));
  json_object_object_add(doc, "type", json_object_new_string(t ? t->name : ""));
  json_object_object_add(doc, "state", json_object_new_string("queued"));
  json_object_object_add(doc, "phase", json_object_new_string("queued"));
  set_now(doc, "created_at");
  json_object_object_add(doc, "started_at", NULL);
  json_object_object_add(doc, "finished_at", NULL);
  json_object_object_add(doc, "progress", progress_new());
  json_object_object_add(doc, "disks", disks_new(r));
  json_object_object_add(doc, "error", NULL);
  json_object_object_add(doc, "result", NULL);
  json_object_object_add(doc, "request", json_object_get(request));
  return doc;
}

json_object *jobdoc_from(const char *id, const struct job_request *r)
{
  return jobdoc(id, r, r->json);
}

json_object *jobdoc_new(const char *id, json_object *request)
{
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };

  if (request_load(request, &r, &err) < 0)
    r = NULL;
  return jobdoc(id, r, request);
}

enum job_state jobdoc_state(json_object *doc)
{
  int s = job_state_from_name(json_get_string(doc, "state"));
  return s < 0 ? JOB_FAILED : (enum job_state)s;
}

void jobdoc_set_state(json_object *doc, enum job_state s)
{
  json_object_object_add(doc, "state",
                         json_object_new_string(job_state_name(s)));
  if (s == JOB_RUNNING)
    set_now(doc, "started_at");
  else if (job_state_is_final(s)) {
    set_now(doc, "finished_at");
    json_object_object_add(doc, "phase",
                           json_object_new_string(job_state_name(s)));
  }
}

void jobdoc_set_phase(json_object *doc, const char *phase)
{
  json_object_object_add(doc, "phase", json_object_new_string(phase));
}

void jobdoc_set_error(json_object *doc, const char *code, const char *msg)
{
  json_object *e = json_object_new_object();
  json_object_object_add(e, "code", json_object_new_string(code));
  json_object_object_add(e, "message", json_object_new_string(msg));
  json_object_object_add(doc, "error", e);
}

void jobdoc_set_worker(json_object *doc, int pid, unsigned long long start)
{
  json_object *w = json_object_new_object();
  json_object_object_add(w, "pid", json_object_new_int(pid));
  json_object_object_add(w, "start_time", json_object_new_uint64(start));
  json_object_object_add(doc, "worker", w);
}

bool jobdoc_get_worker(json_object *doc, int *pid, unsigned long long *start)
{
  json_object *w = json_get(doc, "worker");
  json_object *p = json_get(w, "pid"), *s = json_get(w, "start_time");

  if (!p || !s)
    return false;
  *pid = json_object_get_int(p);
  *start = json_object_get_uint64(s);
  return *pid > 0;
}

unsigned long long proc_start_time(int pid)
{
  char path[64];
  _cleanup_free_ char *buf = NULL;
  _cleanup_fclose_ FILE *f = NULL;
  size_t cap = 0;
  unsigned long long start = 0;

  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  f = fopen(path, "re");
  if (!f || getline(&buf, &cap, f) < 0)
    return 0;
  /* comm may hold spaces and parentheses: fields start after the last ')' */
  char *p = strrchr(buf, ')');
  if (!p)
    return 0;
  /* field 3 is state; starttime is field 22, i.e. the 20th after ')' */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
                    "%*d %*d %*d %*d %*d %*d %llu", &start) != 1)
    return 0;
  return start;
}
