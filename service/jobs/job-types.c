/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "jobs/convert-disks.h"
#include "jobs/job-types.h"
#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* fn on o's "path" and "volume", field PREFIX[i].KEY... */
static int path_and_volume(json_object *o, const char *fmt, size_t i,
                           bool writes, job_disk_fn *fn, void *opaque)
{
  char field[96];
  int r;

  snprintf(field, sizeof field, fmt, i, "path");
  if (json_get_string(o, "path") &&
      (r = fn(opaque, field, json_get_string(o, "path"), NULL, writes)))
    return r;
  snprintf(field, sizeof field, fmt, i, "volume");
  if (json_get_string(o, "volume") &&
      (r = fn(opaque, field, NULL, json_get_string(o, "volume"), writes)))
    return r;
  return 0;
}

static size_t n_disks(json_object *disks)
{
  return json_object_is_type(disks, json_type_array)
           ? json_object_array_length(disks) : 0;
}

/* disks[i].source: its path, its volume, the nbdkit file plugin's file */
static int sources(json_object *req, job_disk_fn *fn, void *opaque)
{
  json_object *disks = json_get(req, "disks");
  char field[96];
  int r;

  for (size_t i = 0; i < n_disks(disks); i++) {
    json_object *src = json_get(json_object_array_get_idx(disks, i),
                                "source");
    json_object *nbdkit = json_get(src, "nbdkit");
    const char *plugin = json_get_string(nbdkit, "plugin");

    if ((r = path_and_volume(src, "disks[%zu].source.%s", i, false, fn,
                             opaque)))
      return r;
    snprintf(field, sizeof field, "disks[%zu].source.nbdkit.file", i);
    if (plugin && strcmp(plugin, "file") == 0 &&
        (r = fn(opaque, field, json_get_string(nbdkit, "file"), NULL, false)))
      return r;
  }
  return 0;
}

/* inplace: each disk itself, written by the commit */
static int inplace_disks(json_object *req, job_disk_fn *fn, void *opaque)
{
  json_object *disks = json_get(req, "disks");
  int r;

  for (size_t i = 0; i < n_disks(disks); i++)
    if ((r = path_and_volume(json_object_array_get_idx(disks, i),
                             "disks[%zu].%s", i, true, fn, opaque)))
      return r;
  return 0;
}

/* In the order of enum job_kind: entry k is kind k. */
static const struct job_type job_types[] = {
  { JOB_COPY, "copy", parse_copy, copy_disks },
  { JOB_EXPORT, "export", parse_export, sources },
  { JOB_CONVERT, "convert", parse_convert, convert_disks },
  { JOB_INPLACE, "inplace", parse_inplace, inplace_disks },
  { JOB_INSPECT, "inspect", parse_inspect, sources },
  { JOB_SYNC, "sync", parse_sync, copy_disks },
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
