/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "jobs/convert-disks.h"
#include "jobs/job-types.h"
#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* export: each disk's source, read (served) */
static int export_disks(const struct job_request *r, job_disk_fn *fn,
                        void *opaque)
{
  const struct export_request *e = &r->u.export;
  char prefix[FIELD_MAX];
  int ret;

  for (size_t i = 0; i < e->n_disks; i++) {
    snprintf(prefix, sizeof prefix, "disks[%zu].source", i);
    if ((ret = disk_path_or_volume(e->disks[i].path, &e->disks[i].volume,
                                   prefix, false, fn, opaque)))
      return ret;
  }
  return 0;
}

/* inspect: each disk's source, read; an NBD one is no local disk */
static int inspect_disks(const struct job_request *r, job_disk_fn *fn,
                         void *opaque)
{
  const struct inspect_request *q = &r->u.inspect;
  char prefix[FIELD_MAX];
  int ret;

  for (size_t i = 0; i < q->n_disks; i++) {
    const struct rq_source *s = &q->sources[i];
    if (s->kind != SOURCE_PATH && s->kind != SOURCE_VOLUME)
      continue;
    snprintf(prefix, sizeof prefix, "disks[%zu].source", i);
    if ((ret = disk_path_or_volume(s->kind == SOURCE_PATH ? s->path : NULL,
                                   &s->volume, prefix, false, fn, opaque)))
      return ret;
  }
  return 0;
}

/* inplace: each disk itself, written by the commit */
static int inplace_disks(const struct job_request *r, job_disk_fn *fn,
                         void *opaque)
{
  const struct inplace_request *q = &r->u.inplace;
  char prefix[FIELD_MAX];
  int ret;

  for (size_t i = 0; i < q->n_disks; i++) {
    snprintf(prefix, sizeof prefix, "disks[%zu]", i);
    if ((ret = disk_path_or_volume(q->disks[i].path, &q->disks[i].volume,
                                   prefix, true, fn, opaque)))
      return ret;
  }
  return 0;
}

/* digest: each disk's source, read */
static int digest_disks(const struct job_request *r, job_disk_fn *fn,
                        void *opaque)
{
  const struct digest_request *d = &r->u.digest;
  char prefix[FIELD_MAX];
  int ret;

  for (size_t i = 0; i < d->n_disks; i++) {
    snprintf(prefix, sizeof prefix, "disks[%zu].source", i);
    if ((ret = disk_path_or_volume(d->disks[i].path, &d->disks[i].volume,
                                   prefix, false, fn, opaque)))
      return ret;
  }
  return 0;
}

/* In the order of enum job_kind: entry k is kind k. */
static const struct job_type job_types[] = {
  { JOB_COPY, "copy", parse_copy, copy_disks },
  { JOB_EXPORT, "export", parse_export, export_disks },
  { JOB_CONVERT, "convert", parse_convert, convert_disks },
  { JOB_INPLACE, "inplace", parse_inplace, inplace_disks },
  { JOB_INSPECT, "inspect", parse_inspect, inspect_disks },
  { JOB_SYNC, "sync", parse_sync, copy_disks },
  { JOB_DIGEST, "digest", parse_digest, digest_disks },
};
_Static_assert(sizeof job_types / sizeof job_types[0] == JOB_KINDS,
               "one entry per job kind");

const struct job_type *job_type_find(const char *name)
{
  for (size_t i = 0; name && i < JOB_KINDS; i++)
    if (strcmp(job_types[i].name, name) == 0)
      return &job_types[i];
  return NULL;
}

const struct job_type *job_type_of(json_object *request)
{
  return job_type_find(json_get_string(request, "type"));
}

const struct job_type *job_type_get(enum job_kind kind)
{
  assert((unsigned)kind < JOB_KINDS && job_types[kind].kind == kind);
  return &job_types[kind];
}

int job_request_disks(const struct job_request *r, job_disk_fn *fn,
                      void *opaque)
{
  return job_type_get(r->kind)->disks(r, fn, opaque);
}
