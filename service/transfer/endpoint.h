/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two ends of a copy as NBD URIs: a source served by nbdkit (or an
 * NBD URI as given), a qcow2 destination served by qemu-nbd, and the
 * tools started for them. */
#ifndef UCH_ENDPOINT_H
#define UCH_ENDPOINT_H

#include <stdint.h>

#include "jobs/job-request.h"
#include "runner/runner.h"
#include "runner/tools.h"

struct endpoint {
  struct child *ch;         /* NULL when nothing was started */
  char *uri;
};

/* Stops the server's tool (if any) and frees it. */
void endpoint_stop(struct runner *r, struct endpoint *s);

/* RUNTIME/jobs/ID/bandwidth: the rate filter's rate-file (bits/s). */
#define BANDWIDTH_FILE "bandwidth"

/* disks[i].source as an NBD URI, starting nbdkit when needed: every
 * source nbdkit serves goes through the rate filter (BANDWIDTH_FILE), a
 * network one (nbd://, nbds://) through UCH's reconnect filter too
 * (filters/reconnect.c, which must be beside uch-job); an
 * nbd+unix:// source is read directly.  A copy reads a network source
 * with libnbd itself and does not call this for it (copy-job.c). */
int source_open(struct runner *r, size_t disk, const struct rq_source *source,
                struct endpoint *s, struct job_failure *f);
/* The same for a source {"nbd": uri}. */
int source_open_nbd(struct runner *r, size_t disk, const char *uri,
                    struct endpoint *s, struct job_failure *f);
/* A local file or device served read-only (verify reads the copy). */
int path_serve(struct runner *r, const char *path, const char *tag,
               struct endpoint *s, struct job_failure *f);
/* A new qcow2 image of `size` at path, served by qemu-nbd. */
int qcow2_open(struct runner *r, size_t disk, const char *path, uint64_t size,
               struct endpoint *s, struct job_failure *f);
/* A raw destination: a regular file is created or resized to `size`, a
 * block device must be large enough. */
int raw_prepare(const char *path, uint64_t size, struct job_failure *f);

#endif
