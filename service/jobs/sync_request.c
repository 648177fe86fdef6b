/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/sync_request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"

#define NEXT "next.json"
#define CUTOVER "cutover"
#define DIGEST "digest.json"

char *sync_request_dir(const char *job_rt_dir)
{
  char *dir;
  return asprintf(&dir, "%s/" SYNC_REQUESTS_DIR, job_rt_dir) < 0 ? NULL
                                                                 : dir;
}

static int write_fd(int fd, const char *s)
{
  size_t len = strlen(s);
  while (len > 0) {
    ssize_t n = write(fd, s, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    s += n;
    len -= n;
  }
  return fsync(fd);
}

/* Leaves NAME (next.json or digest.json) for the worker, as
 * sync_request_post() says; a cutover taken refuses another pass, not
 * a digest (the cutover pass may wait for one). */
static int post_file(const char *job_rt_dir, const char *name,
                     const char *action, json_object *body)
{
  _cleanup_free_ char *dir = sync_request_dir(job_rt_dir);
  _cleanup_free_ char *tmp = NULL, *next = NULL, *cut = NULL;
  _cleanup_json_ json_object *o = json_object_new_object();
  _cleanup_close_ int fd = -1;
  char now[RFC3339_LEN];
  struct stat st;
  int ret = -1, saved;

  if (!dir || !o || asprintf(&tmp, "%s/.new-XXXXXX", dir) < 0 ||
      asprintf(&next, "%s/%s", dir, name) < 0 ||
      asprintf(&cut, "%s/" CUTOVER, dir) < 0)
    return -1;
  if (stat(dir, &st) < 0)
    return -1;
  if (strcmp(name, NEXT) == 0 && stat(cut, &st) == 0) {
    errno = EALREADY;
    return -1;
  }
  if (stat(next, &st) == 0) {
    errno = EEXIST;
    return -1;
  }
  time_rfc3339_now(now);
  json_object_object_add(o, "action", json_object_new_string(action));
  json_object_object_add(o, "body", json_object_get(body));
  json_object_object_add(o, "requested_at", json_object_new_string(now));
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return -1;
  /* link() does not replace: two requests can never both get in */
  if (write_fd(fd, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN))
        == 0 && link(tmp, next) == 0)
    ret = 0;
  saved = errno;
  unlink(tmp);
  errno = saved;
  return ret;
}

int sync_request_post(const char *job_rt_dir, const char *action,
                      json_object *body)
{
  return post_file(job_rt_dir, NEXT, action, body);
}

int sync_request_post_digest(const char *job_rt_dir, json_object *body)
{
  return post_file(job_rt_dir, DIGEST, "digest", body);
}

json_object *sync_request_take_digest(const char *job_rt_dir)
{
  _cleanup_free_ char *dir = sync_request_dir(job_rt_dir);
  _cleanup_free_ char *path = NULL;
  json_object *o;
  int saved;

  if (!dir || asprintf(&path, "%s/" DIGEST, dir) < 0)
    return NULL;
  o = json_read_path(path);
  saved = errno;
  if (o || saved != ENOENT)
    unlink(path);  /* taken, or unreadable: it cannot block the next */
  errno = o ? 0 : saved == ENOENT ? ENOENT : EINVAL;
  return o;
}

json_object *sync_request_take(const char *job_rt_dir)
{
  _cleanup_free_ char *dir = sync_request_dir(job_rt_dir);
  _cleanup_free_ char *next = NULL, *cut = NULL;
  json_object *o;
  const char *action;

  if (!dir || asprintf(&next, "%s/" NEXT, dir) < 0 ||
      asprintf(&cut, "%s/" CUTOVER, dir) < 0)
    return NULL;
  o = json_read_path(next);
  if (!o) {
    if (errno == ENOENT)
      return NULL;
    /* unreadable: dropped, so it cannot block every later request */
    unlink(next);
    errno = EINVAL;
    return NULL;
  }
  action = json_get_string(o, "action");
  if (action && strcmp(action, "cutover") == 0 ? rename(next, cut) < 0
                                               : unlink(next) < 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
}

bool sync_request_cutover_waiting(const char *job_rt_dir)
{
  _cleanup_free_ char *dir = sync_request_dir(job_rt_dir);
  _cleanup_free_ char *next = NULL;
  _cleanup_json_ json_object *o = NULL;
  const char *action;

  if (!dir || asprintf(&next, "%s/" NEXT, dir) < 0 ||
      !(o = json_read_path(next)))
    return false;
  action = json_get_string(o, "action");
  return action && strcmp(action, "cutover") == 0;
}
