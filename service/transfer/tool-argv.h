/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every external command line of a data-moving job, each built by one
 * function so tests can compare it as a string.  Secrets are passed as
 * files only ("password=+FILE", "--tls-psk=FILE"). */
#ifndef UCH_TOOL_ARGV_H
#define UCH_TOOL_ARGV_H

#include <stdbool.h>
#include <stdint.h>
#include "jobs/job-request.h"
#include "util/argv.h"
#include "util/nbd-uri.h"

/* Filters in front of a source's plugin. */
struct source_filters {
  /* --filter=rate rate-file=FILE: the job's bandwidth limit, which
   * PATCH /v1/jobs/{id} changes by rewriting FILE */
  const char *rate_file;
  /* --filter=PATH of UCH's reconnect filter (filters/reconnect.c): a
   * source across a network survives short outages; unlike nbdkit's
   * retry filter it does not serialize requests */
  const char *reconnect_filter;
};
/* Bounded: 1+2+4+8+16 s of waiting at most for one request. */
#define SOURCE_RETRIES 5
#define SOURCE_RETRY_DELAY 1
/* What nbdkit serves: a file, or a plugin as a request names it. */
struct nbdkit_source {
  const char *path;                 /* the file plugin on path, or ... */
  const struct rq_nbdkit *nbdkit;   /* ... this plugin and its keys */
  /* the stored secret, which nbdkit->password needs */
  const char *password_file;
  /* the file holding nbdkit->vddk_config, which they need */
  const char *vddk_config;
};
/* nbdkit serving SOURCE read-only on a Unix socket:
 *   nbdkit --exit-with-parent -r -f -U SOCK -P PIDFILE [--filter=F...]
 *          PLUGIN key=value... [config=VDDK_CONFIG]
 *          [password=+PASSWORD_FILE] [filter params]
 * keys in the request's order, named as nbdkit spells them
 * (known_hosts -> known-hosts); filters NULL for none.  Returns -1 on
 * a source it cannot express (a password or config entries without
 * their file). */
int nbdkit_filtered_source_argv(struct argv *a,
                                const struct nbdkit_source *source,
                                const struct source_filters *filters,
                                const char *sock, const char *pidfile);
/* A vddk source's config_entries as VixDiskLib's config file text
 * ("KEY=VALUE" lines); NULL on allocation failure. */
char *vddk_config_text(const struct rq_nbdkit *nbdkit);
/* A network NBD URI as nbdkit's nbd plugin: nbdkit's strings point
 * into uri. */
struct nbd_network_source {
  struct rq_nbdkit nbdkit;
  struct uch_nbd_uri uri;
};
void nbd_network_source_free(struct nbd_network_source *s);
/* nbd://[USER@]HOST[:PORT][/EXPORT][?tls-psk-file=F&tls-username=U] and
 * nbds://... as the plugin nbd with hostname=, port=, export=,
 * tls=require, tls-username=, tls-psk=: 0 and *out (free it); 1 when
 * the URI is not a network one (nbd+unix://); -1 when it cannot be
 * expressed. */
int uch_nbd_network_source(const char *uri, struct nbd_network_source *out);

/* nbdkit serving the files of EXPORT_DIR read-only, one export each:
 *   nbdkit --exit-with-parent -r -f -P PIDFILE
 *          (-U SOCK | -i ADDR -p PORT --tls=require --tls-psk=FILE)
 *          [--filter=exitlast] [--filter=DISKSDONE] [--filter=ZEROSCAN]
 *          file dir=EXPORT_DIR [disksdone-export=NAME... disksdone-idle=S
 *          [disksdone-state=PATH]] */
struct export_listen {
  const char *unix_sock;     /* set for a Unix socket ... */
  const char *addr;          /* ... or addr + port + psk_file for TCP */
  const char *port;
  const char *psk_file;
  bool exit_after_last_client;
  /* our zeroscan filter's path (filters/zeroscan.c), set when a disk is
   * a block device: the file plugin gives a device no extents, the
   * filter reports its zero runs as holes so they never cross the wire */
  const char *zeroscan_filter;
  /* our disksdone filter's path (filters/disksdone.c), for "until":
   * "disks-done": nbdkit ends once each of the n_names exports was
   * opened and no client came for idle_s */
  const char *disksdone_filter;
  const char *const *names;
  size_t n_names;
  long long idle_s;
  /* where the filter says "idle" or "serving" (NULL: nowhere) */
  const char *disksdone_state;
};
int nbdkit_export_argv(struct argv *a, const struct export_listen *l,
                       const char *pidfile, const char *export_dir);

/* qemu-img create -f qcow2 PATH SIZE */
int qemu_img_create_argv(struct argv *a, const char *path, uint64_t size);
/* qemu-img create -f qcow2 -b BACKING -F FORMAT OVERLAY */
int qemu_img_overlay_argv(struct argv *a, const char *backing,
                          const char *backing_format, const char *overlay);
/* qemu-img commit -f qcow2 -d OVERLAY: its writes into its backing file */
int qemu_img_commit_argv(struct argv *a, const char *overlay);
/* qemu-nbd serving a qcow2 destination on a Unix socket until stopped,
 * to up to QEMU_NBD_CLIENTS connections (--shared=4). */
#define QEMU_NBD_CLIENTS 4
int qemu_nbd_argv(struct argv *a, const char *path, const char *sock,
                  const char *pidfile);
/* nbdcopy --flush --progress=FD [--destination-is-zero]
 * [--connections=1 --requests=4 when rate limited]
 * [--connections=C --threads=C --requests=R --request-size=S when
 *  sized for a network link, link-sizing.h] SRC DST */
struct link_sizing;
int nbdcopy_argv(struct argv *a, int progress_fd, bool destination_is_zero,
                 bool rate_limited, const struct link_sizing *sz,
                 const char *src, const char *dst);

#endif
