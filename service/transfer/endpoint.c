/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check/probe.h"
#include "jobs/request.h"
#include "transfer/endpoint.h"
#include "transfer/filter-path.h"
#include "util/nbd-uri.h"
#include "transfer/tls-priority.h"
#include "transfer/tool-argv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/timeutil.h"

void endpoint_stop(struct runner *r, struct endpoint *s)
{
  if (s->ch) {
    child_stop(&r->kids, s->ch);
    child_release(&r->kids, s->ch);
    s->ch = NULL;
  }
  free(s->uri);
  s->uri = NULL;
}

/* Debian's nbdkit has no vddk plugin: say what is missing before
 * nbdkit says something vaguer. */
static int check_vddk(struct job_failure *f)
{
  switch (probe_nbdkit_vddk()) {
  case 1:
    return 0;
  case 0:
    failure_set(f, "missing_dependency", "nbdkit has no vddk plugin "
                "(`nbdkit vddk --version` fails): install VMware VDDK and "
                "nbdkit-vddk-plugin");
    return -1;
  default:
    failure_set(f, "tool_failed", "nbdkit: cannot run: %s", strerror(errno));
    return -1;
  }
}

/* tls: nbdkit reads the source over TLS (tls-priority.h). */
static int serve(struct runner *r, const struct nbdkit_source *source,
                 const char *tag, const struct source_filters *filters,
                 bool tls, struct endpoint *s, struct job_failure *f)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *sock = runtime_path(r, "%s.sock", tag);
  _cleanup_free_ char *pidfile = runtime_path(r, "%s.pid", tag);

  if (!sock || !pidfile) {
    failure_set(f, "internal", "runtime directory %s: %s", r->rt_dir,
                strerror(errno));
    return -1;
  }
  /* an earlier pass of a sync job served the same tag: nbdkit stopped
   * by a signal leaves its socket, and a stale pid file would pass for
   * the new server being ready */
  unlink(sock);
  unlink(pidfile);
  if (nbdkit_filtered_source_argv(&a, source, filters, sock, pidfile) < 0) {
    failure_set(f, "internal", "cannot build the nbdkit command line");
    return -1;
  }
  s->ch = tls ? tls_child_spawn(r, "nbdkit", &a)
              : child_spawn(&r->kids, "nbdkit", &a, -1);
  if (!s->ch) {
    failure_set(f, "tool_failed", "nbdkit: cannot run: %s", strerror(errno));
    return -1;
  }
  if (wait_ready(r, s->ch, pidfile, f) < 0)
    return -1;
  s->uri = uch_nbd_unix_uri("", sock);
  return s->uri ? 0 : -1;
}

#define RECONNECT_FILTER "uch-reconnect-filter.so"

/* Our reconnect filter (filters/reconnect.c), or a failure naming it */
static char *reconnect_filter(struct job_failure *f)
{
  _cleanup_free_ char *tried = NULL;
  char *path = uch_filter_path(RECONNECT_FILTER, &tried);

  if (!path)
    failure_set(f, "missing_dependency", "a source across a network is "
                "read through UCH's nbdkit filter %s, which is missing "
                "(looked in %s%s%s; `make install` puts it beside uch-job)",
                RECONNECT_FILTER, tried ? tried : "", tried ? " and " : "",
                UCH_LIBEXECDIR "/uch");
  return path;
}

int source_open_nbd(struct runner *r, size_t disk, const char *uri,
                    struct endpoint *s, struct job_failure *f)
{
  _cleanup_free_ char *rate_file = runtime_path(r, BANDWIDTH_FILE);
  _cleanup_free_ char *reconnect = NULL;
  struct nbd_network_source network;
  struct source_filters filters = { .rate_file = rate_file };
  char tag[32];
  int kind = uch_nbd_network_source(uri, &network), ret;

  snprintf(tag, sizeof tag, "src%zu", disk);
  if (kind < 0) {
    failure_set(f, "source", "%s: cannot be read through nbdkit's nbd "
                "plugin (only tls-psk-file and tls-username may follow "
                "'?')", uri);
    return -1;
  }
  if (kind == 0) {
    /* across a network: reconnected, and limited by the job's
     * bandwidth */
    if (!(reconnect = reconnect_filter(f))) {
      nbd_network_source_free(&network);
      return -1;
    }
    filters.reconnect_filter = reconnect;
    ret = serve(r, &(struct nbdkit_source){ .nbdkit = &network.nbdkit },
                tag, &filters, network.uri.tls, s, f);
    nbd_network_source_free(&network);
    return ret;
  }
  s->uri = strdup(uri);
  return s->uri ? 0 : -1;
}

/* A vddk source with config_entries: they go to RUNTIME/jobs/ID/TAG-vddk.conf
 * (0600), passed as config=. */
static int write_vddk_config(struct runner *r, const struct rq_nbdkit *nbdkit,
                             const char *tag, char **conf,
                             struct job_failure *f)
{
  _cleanup_free_ char *text = NULL;

  if (!(*conf = runtime_path(r, "%s-vddk.conf", tag)) ||
      !(text = vddk_config_text(nbdkit)) ||
      write_file_atomic(*conf, text, strlen(text), 0600) < 0) {
    failure_set(f, "internal", "the VDDK config file in %s: %s", r->rt_dir,
                strerror(errno));
    return -1;
  }
  return 0;
}

int source_open(struct runner *r, size_t disk, const struct rq_source *source,
                struct endpoint *s, struct job_failure *f)
{
  _cleanup_free_ char *field = NULL, *password_file = NULL, *conf = NULL;
  _cleanup_free_ char *rate_file = runtime_path(r, BANDWIDTH_FILE);
  struct source_filters filters = { .rate_file = rate_file };
  const struct rq_nbdkit *nbdkit = &source->nbdkit;
  char tag[32];

  snprintf(tag, sizeof tag, "src%zu", disk);
  switch (source->kind) {
  case SOURCE_NBD:
    return source_open_nbd(r, disk, source->nbd, s, f);
  case SOURCE_PATH:
    return serve(r, &(struct nbdkit_source){ .path = source->path }, tag,
                 &filters, false, s, f);
  case SOURCE_VOLUME:
    /* the caller opens the volume and gives its device as a path */
    failure_set(f, "internal", "volume %s not opened", source->volume.id);
    return -1;
  case SOURCE_NBDKIT:
    break;
  }
  if (nbdkit->plugin == PLUGIN_VDDK && check_vddk(f) < 0)
    return -1;
  if (nbdkit->n_vddk_config > 0 &&
      write_vddk_config(r, nbdkit, tag, &conf, f) < 0)
    return -1;
  if (nbdkit->password) {
    if (asprintf(&field, "disks[%zu].source.nbdkit.password", disk) < 0)
      field = NULL;
    if (!field || !(password_file = secret_path(r->rt_dir, field))) {
      failure_set(f, "internal", "out of memory");
      return -1;
    }
  }
  return serve(r, &(struct nbdkit_source){ .nbdkit = nbdkit,
                                           .password_file = password_file,
                                           .vddk_config = conf },
               tag, &filters, false, s, f);
}

int path_serve(struct runner *r, const char *path, const char *tag,
               struct endpoint *s, struct job_failure *f)
{
  return serve(r, &(struct nbdkit_source){ .path = path }, tag, NULL, false,
               s, f);
}

int qcow2_open(struct runner *r, size_t disk, const char *path, uint64_t size,
               struct endpoint *s, struct job_failure *f)
{
  _cleanup_argv_ struct argv create = { 0 }, serve_argv = { 0 };
  _cleanup_free_ char *sock = runtime_path(r, "dst%zu.sock", disk);
  _cleanup_free_ char *pidfile = runtime_path(r, "dst%zu.pid", disk);

  if (!sock || !pidfile || qemu_img_create_argv(&create, path, size) < 0 ||
      qemu_nbd_argv(&serve_argv, path, sock, pidfile) < 0) {
    failure_set(f, "internal", "runtime directory %s: %s", r->rt_dir,
                strerror(errno));
    return -1;
  }
  if (tool_run(r, "qemu-img", &create, f) < 0)
    return -1;
  s->ch = child_spawn(&r->kids, "qemu-nbd", &serve_argv, -1);
  if (!s->ch) {
    failure_set(f, "tool_failed", "qemu-nbd: cannot run: %s", strerror(errno));
    return -1;
  }
  if (wait_ready(r, s->ch, pidfile, f) < 0)
    return -1;
  s->uri = uch_nbd_unix_uri("", sock);
  return s->uri ? 0 : -1;
}

int raw_prepare(const char *path, uint64_t size, struct job_failure *f)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  struct stat st;
  uint64_t dev_size;

  if (fd < 0 || fstat(fd, &st) < 0) {
    failure_set(f, "destination", "%s: %s", path, strerror(errno));
    return -1;
  }
  if (S_ISBLK(st.st_mode)) {
    if (ioctl(fd, BLKGETSIZE64, &dev_size) < 0) {
      failure_set(f, "destination", "%s: %s", path, strerror(errno));
      return -1;
    }
    if (dev_size < size) {
      failure_set(f, "destination", "%s: the device holds %llu bytes, the "
                  "source needs %llu", path, (unsigned long long)dev_size,
                  (unsigned long long)size);
      return -1;
    }
    return 0;
  }
  if (!S_ISREG(st.st_mode)) {
    failure_set(f, "destination", "%s: not a regular file or block device",
                path);
    return -1;
  }
  if (ftruncate(fd, size) < 0) {
    failure_set(f, "destination", "%s: cannot set its size to %llu: %s", path,
                (unsigned long long)size, strerror(errno));
    return -1;
  }
  return 0;
}
