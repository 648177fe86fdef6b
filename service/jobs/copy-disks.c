/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The local disks a copy or sync request reads and writes, for uchd's
 * conflict check: taken from the typed request (jobs/job-request.h),
 * not guessed from field names. */
#include <stdio.h>
#include <stdlib.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "jobs/request_check.h"
#include "util/cleanup.h"

int disk_path_or_volume(const char *path, const struct rq_volume *v,
                        const char *prefix, bool writes, job_disk_fn *fn,
                        void *opaque)
{
  char field[FIELD_MAX];

  snprintf(field, sizeof field, "%s.%s", prefix, path ? "path" : "volume");
  if (path)
    return fn(opaque, field, path, NULL, writes);
  if (v->id)
    return fn(opaque, field, NULL, v->id, writes);
  return 0;
}

int copy_request_disks(const struct copy_disk_request *disks, size_t n,
                       job_disk_fn *fn, void *opaque)
{
  char prefix[FIELD_MAX];
  int r;

  /* every source, then every destination: the second of two uses of
   * one disk is the field an error names */
  for (size_t i = 0; i < n; i++) {
    const struct rq_source *s = &disks[i].source;
    snprintf(prefix, sizeof prefix, "disks[%zu].source", i);
    if (s->kind == SOURCE_PATH || s->kind == SOURCE_VOLUME) {
      if ((r = disk_path_or_volume(s->kind == SOURCE_PATH ? s->path : NULL,
                                   &s->volume, prefix, false, fn, opaque)))
        return r;
    } else if (s->kind == SOURCE_NBDKIT && s->nbdkit.plugin == PLUGIN_FILE &&
               s->nbdkit.file) {
      snprintf(prefix, sizeof prefix, "disks[%zu].source.nbdkit.file", i);
      if ((r = fn(opaque, prefix, s->nbdkit.file, NULL, false)))
        return r;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const struct rq_destination *d = &disks[i].destination;
    snprintf(prefix, sizeof prefix, "disks[%zu].destination", i);
    if ((r = disk_path_or_volume(d->path, &d->volume, prefix, true, fn, opaque)))
      return r;
  }
  return 0;
}

int copy_disks(const struct job_request *r, job_disk_fn *fn, void *opaque)
{
  switch (r->kind) {
  case JOB_COPY:
    return copy_request_disks(r->u.copy.disks, r->u.copy.n_disks, fn,
                              opaque);
  case JOB_SYNC:
    return copy_request_disks(r->u.sync.disks, r->u.sync.n_disks, fn,
                              opaque);
  default:
    abort();
  }
}
