/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "copy" request: disks, each a SOURCE and a DEST, parsed into a
 * struct copy_request (jobs/job-request.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/request_check.h"
#include "util/jsonutil.h"

#define CHANGES_MAX 65536

/* Memory a parsed request owns: a list of blocks, freed with it. */
struct rq_owned {
  struct rq_owned *next;
  max_align_t data[];
};

void *rq_owned_alloc(struct rq_owned **list, size_t n, size_t size)
{
  struct rq_owned *o;

  if (size && n > (SIZE_MAX - sizeof *o) / size)
    return NULL;
  if (!(o = calloc(1, sizeof *o + n * size)))
    return NULL;
  o->next = *list;
  *list = o;
  return o->data;
}

void rq_owned_free(struct rq_owned **list)
{
  while (*list) {
    struct rq_owned *next = (*list)->next;
    free(*list);
    *list = next;
  }
}

/* [[OFFSET, LENGTH], ...]: what changed since the copy on the
 * destination (VMware CBT QueryChangedDiskAreas, OpenStack). */
int parse_extent_list(struct rq_ctx *c, json_object *list, const char *field,
                      struct rq_owned **owned, struct rq_changes *out)
{
  size_t n = json_object_array_length(list);
  struct rq_extent *v;
  char f[FIELD_MAX];

  if (n > CHANGES_MAX)
    return rq_fail(c, field, "at most %d extents", CHANGES_MAX);
  if (!(v = rq_owned_alloc(owned, n, sizeof *v)))
    return rq_fail(c, field, "out of memory");
  for (size_t i = 0; i < n; i++) {
    json_object *pair = json_object_array_get_idx(list, i);
    json_object *off, *len;
    field_index(f, field, i);
    if (!json_object_is_type(pair, json_type_array) ||
        json_object_array_length(pair) != 2 ||
        !json_object_is_type(off = json_object_array_get_idx(pair, 0),
                             json_type_int) ||
        !json_object_is_type(len = json_object_array_get_idx(pair, 1),
                             json_type_int) ||
        json_object_get_int64(off) < 0 || json_object_get_int64(len) < 1)
      return rq_fail(c, f, "must be [OFFSET, LENGTH], integers, LENGTH > 0");
    v[i] = (struct rq_extent){ (uint64_t)json_object_get_int64(off),
                               (uint64_t)json_object_get_int64(len) };
  }
  out->kind = CHANGES_EXTENTS;
  out->n_extents = n;
  out->extents = v;
  return 0;
}

/* "changes": {"bitmap": NAME} | {"extents": [...]}: a pass of a warm
 * migration onto an existing raw copy. */
static int parse_changes(struct rq_ctx *c, json_object *disk,
                         const struct rq_destination *dest,
                         const char *field, struct rq_owned **owned,
                         struct rq_changes *out)
{
  static const char *const keys[] = { "bitmap", "extents", NULL };
  json_object *changes = NULL, *list = NULL;
  const char *bitmap = NULL;
  char f[FIELD_MAX], g[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (get_object(c, disk, field, "changes", false, &changes) < 0)
    return -1;
  if (!changes)
    return 0;
  field_key(f, field, "changes");
  if (check_known_keys(c, changes, f, keys) < 0 ||
      get_name(c, changes, f, "bitmap", false, &bitmap) < 0 ||
      get_array(c, changes, f, "extents", false, &list) < 0)
    return -1;
  if (!bitmap == !list)
    return rq_fail(c, f, "must have exactly one of \"bitmap\" or "
                   "\"extents\"");
  field_key(g, f, "extents");
  if (list && parse_extent_list(c, list, g, owned, out) < 0)
    return -1;
  if (dest->format != FORMAT_RAW)
    return rq_fail(c, f, "a pass writes onto a raw destination, not qcow2");
  if (bitmap)
    *out = (struct rq_changes){ .kind = CHANGES_BITMAP, .bitmap = bitmap };
  return 0;
}

static int parse_copy_disk(struct rq_ctx *c, json_object *disk,
                           const char *field, struct rq_owned **owned,
                           struct copy_disk_request *out)
{
  static const char *const keys[] = { "source", "destination", "changes",
                                      NULL };
  json_object *source = NULL, *dest = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  if (parse_source(c, source, f, &out->source) < 0 ||
      get_object(c, disk, field, "destination", true, &dest) < 0)
    return -1;
  field_key(f, field, "destination");
  if (parse_destination(c, dest, f, &out->destination) < 0)
    return -1;
  return parse_changes(c, disk, &out->destination, field, owned,
                       &out->changes);
}

int parse_copy(struct rq_ctx *c, json_object *req, struct job_request *out)
{
  static const char *const keys[] = { "type", "id", "labels", "verify",
                                      "disks", "limits", "link",
                                      "source_wait_s", NULL };
  struct copy_request *copy = &out->u.copy;
  json_object *disks;
  char f[FIELD_MAX];
  size_t n;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_bool(c, req, "", "verify", false, &copy->verify) < 0 ||
      get_int(c, req, "", "source_wait_s", false, 0, COPY_SOURCE_WAIT_S_MAX,
              &copy->source_wait_s) < 0 ||
      parse_limits(c, req, "", &copy->limits) < 0 ||
      parse_link(c, req, "", &copy->link) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    field_index(f, "disks", i);
    if (parse_copy_disk(c, json_object_array_get_idx(disks, i), f,
                        &out->owned, &copy->disks[i]) < 0)
      return -1;
  }
  copy->n_disks = n;
  return 0;
}

const struct rq_limits *job_request_limits(const struct job_request *r)
{
  switch (r->kind) {
  case JOB_COPY:
    return &r->u.copy.limits;
  case JOB_SYNC:
    return &r->u.sync.limits;
  default:
    return NULL;
  }
}
