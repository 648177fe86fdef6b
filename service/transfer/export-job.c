/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "runner/volume-wait.h"
#include "transfer/endpoint.h"
#include "transfer/export-firewall.h"
#include "transfer/filter-path.h"
#include "transfer/export-job.h"
#include "transfer/export-listen.h"
#include "transfer/tls-priority.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"
#include "volumes/volume-open.h"

#define ZEROSCAN_FILTER "uch-zeroscan-filter.so"
#define DISKSDONE_FILTER "uch-disksdone-filter.so"

/* One of our nbdkit filters (filters/), `why` it is needed. */
static int filter_prepare(const char *name, const char *why, char **filter,
                          struct job_failure *f)
{
  _cleanup_free_ char *tried = NULL;

  *filter = uch_filter_path(name, &tried);
  if (*filter)
    return 0;
  failure_set(f, "missing_dependency", "%s and UCH's nbdkit filter %s is "
              "missing (looked in %s%s%s; `make install` puts it beside "
              "uch-job)", why, name, tried ? tried : "", tried ? " and " : "",
              UCH_LIBEXECDIR "/uch");
  return -1;
}

/* RUNTIME/jobs/ID/exports/NAME -> the disk: nbdkit's file plugin serves
 * each entry of the directory as the export NAME.  *any_block: one of
 * them is a block device. */
static int link_disks(struct runner *r, const struct export_request *e,
                      const char *dir, bool *any_block,
                      struct job_failure *f)
{
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
    failure_set(f, "internal", "%s: %s", dir, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < e->n_disks; i++) {
    const struct export_disk *disk = &e->disks[i];
    const char *path = disk->path;
    _cleanup_free_ char *link = NULL, *dev = NULL;
    struct stat st;
    if (disk->volume.id) {
      if (volume_open(r, &disk->volume, false, &dev, f) < 0) {
        failure_prefix(f, "disks[%zu].source: ", i);
        return -1;
      }
      path = dev;
    }
    if (!path || access(path, R_OK) < 0 || stat(path, &st) < 0) {
      failure_set(f, "source", "disks[%zu].source.path: %s: %s", i,
                  path ? path : "missing", strerror(errno));
      return -1;
    }
    if (S_ISBLK(st.st_mode))
      *any_block = true;
    if (asprintf(&link, "%s/%s", dir, disk->name) < 0)
      return -1;
    if (symlink(path, link) < 0) {
      if (errno == EEXIST)
        failure_set(f, "invalid_request", "disks[%zu]: the export name "
                    "\"%s\" is already used by another disk", i, disk->name);
      else
        failure_set(f, "internal", "%s: %s", link, strerror(errno));
      return -1;
    }
  }
  return 0;
}

static int add_exports(json_object *result, const struct export_request *e,
                       const struct listen_spec *l)
{
  json_object *list = json_object_new_array();

  json_object_object_add(result, "exports", list);
  for (size_t i = 0; i < e->n_disks; i++) {
    const char *name = e->disks[i].name;
    char *uri = export_uri(l, name);
    if (!uri)
      return -1;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "uri", json_object_new_string(uri));
    json_object_array_add(list, o);
    free(uri);
  }
  if (l->psk_file)
    json_object_object_add(result, "tls_psk_file",
                           json_object_new_string(l->psk_file));
  return 0;
}

/* port_wait_s: the port, taken by another export (a wave's earlier
 * one waiting out its idle time), is waited for before nbdkit binds
 * it. */
static int port_wait(struct runner *r, const struct export_request *e,
                     const struct listen_spec *l, struct job_failure *f)
{
  double start = time_monotonic();
  unsigned tries;

  if (!l->port || e->port_wait_s <= 0)
    return 0;
  if (listen_port_wait(l->host, l->port, (unsigned)e->port_wait_s,
                       runner_cancel_requested, r, &tries) < 0) {
    if (errno == ECANCELED)
      return -1;              /* the cancel is the job's end */
    failure_set(f, "export_failed", "listen.tcp: %s:%s is still taken "
                "after %lld s (port_wait_s)", l->host, l->port,
                (long long)e->port_wait_s);
    return -1;
  }
  if (tries > 1)
    runner_log(r, "%s:%s was taken: free after %.1f s", l->host, l->port,
               time_monotonic() - start);
  return 0;
}

/* until=disks-done: while nbdkit runs, the filter's state (its
 * disksdone-state file: "idle" once every disk was read and no client
 * is left, "serving" when one comes back) is the job's phase, so that
 * the next wave tells an export only waiting out its idle time from
 * one still read. */
static void watch_idle(struct runner *r, struct child *ch, const char *path)
{
  char now[16], shown[16] = "serving";

  while (!ch->exited && !r->kids.cancelled) {
    if (children_poll(&r->kids, -1, 200) < 0)
      return;
    _cleanup_free_ char *word = NULL;
    size_t len;
    if (read_file(path, &word, &len) < 0)
      continue;
    snprintf(now, sizeof now, "%s", word);
    if (strcmp(now, shown) != 0 && (strcmp(now, "idle") == 0 ||
                                    strcmp(now, "serving") == 0)) {
      runner_set_phase(r, now);
      snprintf(shown, sizeof shown, "%s", now);
    }
  }
}

/* Serves until cancelled, or until nbdkit exits: after its last client
 * (until=client-done, a success), once every disk was read and no
 * client came back for idle_s (until=disks-done, a success), or for any
 * other reason (a failure).  Client errors (a wrong PSK) are logged by
 * nbdkit as errors too, so how it ended comes first, its last error
 * line after. */
static int serve_until_end(struct runner *r, struct child *ch,
                           const struct export_request *e,
                           const char *state, struct job_failure *f)
{
  char how[64];

  if (state)
    watch_idle(r, ch, state);
  if (child_wait(&r->kids, ch) < 0)
    return -1;
  if (e->until == UNTIL_CLIENT_DONE && child_succeeded(ch)) {
    runner_log(r, "the last client disconnected");
    return 0;
  }
  if (e->until == UNTIL_DISKS_DONE && child_succeeded(ch)) {
    runner_log(r, "every disk was read, and no client for %lld s",
               (long long)e->idle_s);
    return 0;
  }
  if (WIFSIGNALED(ch->status))
    snprintf(how, sizeof how, "nbdkit was killed by signal %d",
             WTERMSIG(ch->status));
  else
    snprintf(how, sizeof how, "nbdkit exited with status %d",
             WEXITSTATUS(ch->status));
  if (ch->last_error[0])
    failure_set(f, "export_failed", "%s; its last error: %s", how,
                ch->last_error);
  else
    failure_set(f, "export_failed", "%s", how);
  return -1;
}

int export_job_run(struct runner *r, const struct job_request *req,
                   json_object *result, struct job_failure *f)
{
  const struct export_request *e = &req->u.export;
  bool client_done = e->until == UNTIL_CLIENT_DONE;
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *dir = NULL, *pidfile = NULL, *zeroscan = NULL,
                      *disksdone = NULL, *state = NULL;
  const char *names[REQUEST_MAX_DISKS];
  bool any_block = false;
  struct listen_spec l;
  struct export_listen el = { 0 };
  struct export_fw fw = { 0 };
  struct job_failure close_f = { "", "" };
  struct child *ch;
  int ret = -1;

  if (listen_prepare(r, &e->listen, &l, f) < 0)
    goto out;
  if (l.port && e->listen.open_firewall &&
      export_fw_prepare(&fw, l.port, result, f) < 0)
    goto out;
  if (asprintf(&dir, "%s/exports", r->rt_dir) < 0 ||
      !(pidfile = runtime_path(r, "nbdkit.pid")))
    goto out;
  if (link_disks(r, e, dir, &any_block, f) < 0)
    goto out;
  if (any_block && filter_prepare(ZEROSCAN_FILTER, "a block device is "
                                  "exported", &zeroscan, f) < 0)
    goto out;
  if (e->until == UNTIL_DISKS_DONE &&
      filter_prepare(DISKSDONE_FILTER, "\"until\": \"disks-done\" was "
                     "asked", &disksdone, f) < 0)
    goto out;
  listen_to_export(&l, &el);
  el.exit_after_last_client = client_done;
  el.zeroscan_filter = zeroscan;
  for (size_t i = 0; i < e->n_disks; i++)
    names[i] = e->disks[i].name;
  el.disksdone_filter = disksdone;
  el.names = names;
  el.n_names = e->n_disks;
  el.idle_s = e->idle_s;
  if (disksdone && !(state = runtime_path(r, "disksdone.state")))
    goto out;
  el.disksdone_state = state;
  if (nbdkit_export_argv(&a, &el, pidfile, dir) < 0 ||
      port_wait(r, e, &l, f) < 0)
    goto out;
  /* over TCP the export speaks TLS (tls-priority.h) */
  ch = el.unix_sock ? child_spawn(&r->kids, "nbdkit", &a, -1)
                    : tls_child_spawn(r, "nbdkit", &a);
  if (!ch) {
    failure_set(f, "tool_failed", "nbdkit: cannot run: %s", strerror(errno));
    goto out;
  }
  if (wait_ready(r, ch, pidfile, f) < 0 || export_fw_open(r, &fw, f) < 0 ||
      add_exports(result, e, &l) < 0)
    goto out;
  runner_set_phase(r, "serving");
  ret = serve_until_end(r, ch, e, state, f);
out:
  /* Whatever the outcome; a port left open fails an otherwise good job
   * (a failed or cancelled one keeps its own reason; the log says it). */
  if (export_fw_close(r, &fw, &close_f) < 0 && ret == 0) {
    *f = close_f;
    ret = -1;
  }
  export_fw_free(&fw);
  listen_free(&l);
  return ret;
}
