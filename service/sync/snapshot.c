/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "check/probe.h"
#include "runner/tools.h"
#include "sync/snapshot.h"
#include "util/cleanup.h"

/* One --blockdev or --export in qemu's JSON syntax, so a path needs
 * no escaping (key=value would take a comma in it for a separator). */
static int add_json(struct argv *a, const char *opt, json_object *o)
{
  int ret = -1;

  if (o && argv_add(a, opt) == 0 &&
      argv_add(a, json_object_to_json_string_ext(
                    o, JSON_C_TO_STRING_PLAIN |
                       JSON_C_TO_STRING_NOSLASHESCAPE)) == 0)
    ret = 0;
  json_object_put(o);
  return ret;
}

static json_object *node(const char *driver, const char *name)
{
  json_object *o = json_object_new_object();

  json_object_object_add(o, "driver", json_object_new_string(driver));
  json_object_object_add(o, "node-name", json_object_new_string(name));
  return o;
}

static int add_nodes(struct argv *a, size_t i, const char *path,
                     bool is_block, const char *target)
{
  char d[32], t[32], c[32], s[32];
  json_object *o;

  snprintf(d, sizeof d, "d%zu", i);
  snprintf(t, sizeof t, "t%zu", i);
  snprintf(c, sizeof c, "c%zu", i);
  snprintf(s, sizeof s, "s%zu", i);
  /* discard=unmap: a pass's zeroing punches holes, as it does on the
   * destination itself */
  o = node(is_block ? "host_device" : "file", d);
  json_object_object_add(o, "filename", json_object_new_string(path));
  json_object_object_add(o, "discard", json_object_new_string("unmap"));
  if (add_json(a, "--blockdev", o) < 0)
    return -1;
  o = node("file", t);
  json_object_object_add(o, "filename", json_object_new_string(target));
  if (add_json(a, "--blockdev", o) < 0)
    return -1;
  o = node("copy-before-write", c);
  json_object_object_add(o, "file", json_object_new_string(d));
  json_object_object_add(o, "target", json_object_new_string(t));
  if (add_json(a, "--blockdev", o) < 0)
    return -1;
  o = node("snapshot-access", s);
  json_object_object_add(o, "file", json_object_new_string(c));
  return add_json(a, "--blockdev", o);
}

static int add_export(struct argv *a, const char *name, const char *node_name,
                      bool writable)
{
  json_object *o = json_object_new_object();

  json_object_object_add(o, "type", json_object_new_string("nbd"));
  json_object_object_add(o, "id", json_object_new_string(name));
  json_object_object_add(o, "node-name", json_object_new_string(node_name));
  json_object_object_add(o, "name", json_object_new_string(name));
  json_object_object_add(o, "writable", json_object_new_boolean(writable));
  return add_json(a, "--export", o);
}

int snapshot_argv(struct argv *a, const char *qsd, size_t n,
                  const char *const *paths, const bool *is_block,
                  const char *const *targets, const char *sock,
                  const char *pidfile)
{
  json_object *o = json_object_new_object(), *addr = json_object_new_object();

  json_object_object_add(addr, "type", json_object_new_string("unix"));
  json_object_object_add(addr, "path", json_object_new_string(sock));
  json_object_object_add(o, "addr", addr);
  if (argv_add(a, qsd) < 0)
    goto fail;
  for (size_t i = 0; i < n; i++)
    if (add_nodes(a, i, paths[i], is_block[i], targets[i]) < 0)
      goto fail;
  /* the server before the exports on it (qsd takes them in order) */
  if (add_json(a, "--nbd-server", o) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char w[32], c[32], s[32];
    snprintf(w, sizeof w, "w%zu", i);
    snprintf(c, sizeof c, "c%zu", i);
    snprintf(s, sizeof s, "s%zu", i);
    if (add_export(a, w, c, true) < 0 || add_export(a, s, s, false) < 0)
      return -1;
  }
  return argv_add(a, "--pidfile") < 0 || argv_add(a, pidfile) < 0 ? -1 : 0;
fail:
  json_object_put(o);
  return -1;
}

/* The destination's size (a target must be as large) and kind. */
static int dest_size(const char *path, bool *is_block, uint64_t *size)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat(fd, &st) < 0)
    return -1;
  *is_block = S_ISBLK(st.st_mode);
  if (!*is_block) {
    *size = (uint64_t)st.st_size;
    return 0;
  }
  return ioctl(fd, BLKGETSIZE64, size);
}

/* A sparse file of `size` bytes: the filter writes only what a pass
 * overwrites there. */
static int make_target(const char *path, uint64_t size)
{
  _cleanup_close_ int fd = -1;

  if (unlink(path) < 0 && errno != ENOENT)
    return -1;
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
    return -1;
  return 0;
}

int snapshot_start(struct runner *r, size_t n, char *const *paths,
                   struct dest_snapshot *s, struct job_failure *f)
{
  _cleanup_free_ char *qsd = probe_find_program("qemu-storage-daemon", NULL);
  _cleanup_argv_ struct argv a = { 0 };
  const char *scratch = runner_scratch_dir(r);
  bool is_block[REQUEST_MAX_DISKS];

  memset(s, 0, sizeof *s);
  if (!qsd) {
    failure_set(f, "missing_dependency", "qemu-storage-daemon is not "
                "installed on this host (Debian: apt-get install "
                "qemu-system-common): a rehearsal reads a snapshot of the "
                "destinations it serves");
    return -1;
  }
  s->n = n;
  if (!scratch || !(s->sock = runtime_path(r, "snapshot.sock")) ||
      !(s->pidfile = runtime_path(r, "snapshot.pid"))) {
    failure_set(f, "internal", "the snapshot's socket: %s", strerror(errno));
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t size;
    if (asprintf(&s->targets[i], "%s/snapshot-%zu.raw", scratch, i) < 0) {
      s->targets[i] = NULL;
      failure_set(f, "internal", "out of memory");
      goto fail;
    }
    if (dest_size(paths[i], &is_block[i], &size) < 0) {
      failure_set(f, "disk", "disks[%zu]: %s: %s", i, paths[i],
                  strerror(errno));
      goto fail;
    }
    if (make_target(s->targets[i], size) < 0) {
      failure_set(f, "internal", "%s: %s", s->targets[i], strerror(errno));
      goto fail;
    }
    if (asprintf(&s->write_uri[i], "nbd+unix:///w%zu?socket=%s", i,
                 s->sock) < 0 ||
        asprintf(&s->read_uri[i], "nbd+unix:///s%zu?socket=%s", i,
                 s->sock) < 0) {
      failure_set(f, "internal", "out of memory");
      goto fail;
    }
  }
  unlink(s->sock);
  unlink(s->pidfile);
  if (snapshot_argv(&a, qsd, n, (const char *const *)paths, is_block,
                    (const char *const *)s->targets, s->sock,
                    s->pidfile) < 0) {
    failure_set(f, "internal", "out of memory");
    goto fail;
  }
  if (!(s->qsd = child_spawn(&r->kids, "qemu-storage-daemon", &a, -1))) {
    failure_set(f, "tool_failed", "qemu-storage-daemon: cannot run: %s",
                strerror(errno));
    goto fail;
  }
  if (wait_ready(r, s->qsd, s->pidfile, f) < 0)
    goto fail;
  runner_log(r, "snapshot of %zu destination%s served on %s", n,
             n == 1 ? "" : "s", s->sock);
  return 0;
fail:
  snapshot_stop(r, s);
  return -1;
}

void snapshot_stop(struct runner *r, struct dest_snapshot *s)
{
  if (s->qsd) {
    child_stop(&r->kids, s->qsd);
    child_release(&r->kids, s->qsd);
    s->qsd = NULL;
  }
  for (size_t i = 0; i < s->n; i++) {
    if (s->targets[i])
      unlink(s->targets[i]);
    free(s->targets[i]);
    free(s->write_uri[i]);
    free(s->read_uri[i]);
    s->targets[i] = s->write_uri[i] = s->read_uri[i] = NULL;
  }
  if (s->sock)
    unlink(s->sock);
  if (s->pidfile)
    unlink(s->pidfile);
  free(s->sock);
  free(s->pidfile);
  s->sock = s->pidfile = NULL;
  s->n = 0;
}
