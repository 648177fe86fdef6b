/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "sync" request (a warm migration: one job, many passes) and the
 * body of POST /v1/jobs/{id}/sync and /cutover, which asks for one more
 * pass. */
#include <string.h>

#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

#define SYNC_INTERVAL_MAX 86400
#define CHANGE_ID_MAX 256

static bool has(json_object *o, const char *key)
{
  json_object *v = NULL;
  return json_object_object_get_ex(o, key, &v) && v;
}

/* SOURCE with an optional "bitmap" next to "nbd": the dirty bitmap the
 * NBD server offers, read by every incremental pass. */
static int check_sync_source(struct rq_ctx *c, json_object *source,
                             const char *field)
{
  _cleanup_json_ json_object *plain = NULL;
  const char *bitmap = NULL;
  char f[FIELD_MAX];

  if (!has(source, "bitmap"))
    return check_source(c, source, field);
  field_key(f, field, "bitmap");
  if (!has(source, "nbd"))
    return rq_fail(c, f, "only goes with \"nbd\" (a dirty bitmap is read "
                   "over NBD)");
  if (get_name(c, source, field, "bitmap", true, &bitmap) < 0)
    return -1;
  if (json_object_deep_copy(source, &plain, NULL) < 0)
    return rq_fail(c, field, "out of memory");
  json_object_object_del(plain, "bitmap");
  return check_source(c, plain, field);
}

static int check_sync_disk(struct rq_ctx *c, json_object *disk,
                           const char *field)
{
  static const char *const keys[] = { "source", "destination", NULL };
  static const char *const raw_only[] = { "raw", NULL };
  json_object *source = NULL, *dest = NULL;
  const char *format = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  if (check_sync_source(c, source, f) < 0 ||
      get_object(c, disk, field, "destination", true, &dest) < 0)
    return -1;
  field_key(f, field, "destination");
  if (check_destination(c, dest, f) < 0)
    return -1;
  /* passes write changed ranges in place: a raw file or device */
  return get_enum(c, dest, f, "format", false, raw_only, &format);
}

/* "inplace": the guest as an inplace request describes it, converted by
 * virt-v2v-in-place on the destinations after the cutover pass. */
static int parse_sync_inplace(struct rq_ctx *c, json_object *req,
                              struct sync_request *out)
{
  static const char *const keys[] = { "name", "memory_mib", "vcpus",
                                      "firmware", "macs", "options", NULL };
  json_object *inplace = NULL;

  if (get_object(c, req, "", "inplace", false, &inplace) < 0)
    return -1;
  out->has_inplace = inplace != NULL;
  return inplace ? parse_inplace_guest(c, inplace, "inplace", keys,
                                       &out->inplace) : 0;
}

int parse_sync(struct rq_ctx *c, json_object *req, struct job_request *out)
{
  static const char *const keys[] = { "type", "id", "labels", "disks",
                                      "interval_s", "limits", "inplace",
                                      NULL };
  json_object *disks;
  char f[FIELD_MAX];
  int64_t interval = 0;
  size_t n;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_int(c, req, "", "interval_s", false, 1, SYNC_INTERVAL_MAX,
              &interval) < 0 ||
      check_limits(c, req, "") < 0 ||
      parse_sync_inplace(c, req, &out->u.sync) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    json_object *disk = json_object_array_get_idx(disks, i);
    field_index(f, "disks", i);
    if (check_sync_disk(c, disk, f) < 0)
      return -1;
    /* a pass nobody asked for has no extent list: it needs a bitmap */
    if (interval > 0 && !has(json_get(disk, "source"), "bitmap"))
      return rq_fail(c, "interval_s", "passes on an interval read a dirty "
                     "bitmap, and %s.source has none", f);
  }
  return 0;
}

static int check_pass_disk(struct rq_ctx *c, json_object *disk,
                           json_object *job_disk, const char *field)
{
  static const char *const keys[] = { "changed_extents", "bitmap",
                                      "change_id", NULL };
  json_object *list = NULL;
  const char *bitmap = NULL, *change_id = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_array(c, disk, field, "changed_extents", false, &list) < 0 ||
      get_name(c, disk, field, "bitmap", false, &bitmap) < 0 ||
      get_string(c, disk, field, "change_id", false, &change_id) < 0)
    return -1;
  if (list && bitmap)
    return rq_fail(c, field, "must have at most one of \"changed_extents\" "
                   "or \"bitmap\"");
  field_key(f, field, "change_id");
  if (change_id && strlen(change_id) > CHANGE_ID_MAX)
    return rq_fail(c, f, "is longer than %d bytes", CHANGE_ID_MAX);
  field_key(f, field, "bitmap");
  if (bitmap && !has(json_get(job_disk, "source"), "nbd"))
    return rq_fail(c, f, "the job's source is not \"nbd\": a bitmap is read "
                   "over NBD");
  field_key(f, field, "changed_extents");
  if (list)
    return check_extent_list(c, list, f);
  if (!bitmap && !has(json_get(job_disk, "source"), "bitmap"))
    return rq_fail(c, f, "is required: the job's source has no bitmap to "
                   "tell what changed");
  return 0;
}

int request_sync_pass(json_object *body, json_object *job_request,
                      struct uch_error *err)
{
  static const char *const keys[] = { "disks", NULL };
  struct rq_ctx c = { .err = err };
  json_object *job_disks = json_get(job_request, "disks");
  json_object *disks = NULL;
  size_t n = job_disks ? json_object_array_length(job_disks) : 0;
  char f[FIELD_MAX];

  if (!body || !json_object_is_type(body, json_type_object))
    return rq_fail(&c, "", "the body must be a JSON object");
  if (check_known_keys(&c, body, "", keys) < 0 ||
      get_array(&c, body, "", "disks", false, &disks) < 0)
    return -1;
  if (disks && json_object_array_length(disks) != n)
    return rq_fail(&c, "disks", "must list the job's %zu disks, in order, "
                   "not %zu", n, json_object_array_length(disks));
  for (size_t i = 0; i < n; i++) {
    json_object *disk = disks ? json_object_array_get_idx(disks, i) : NULL;
    json_object *empty = NULL;
    int r;
    field_index(f, "disks", i);
    if (disk && !json_object_is_type(disk, json_type_object))
      return rq_fail(&c, f, "must be an object");
    if (!disk)
      disk = empty = json_object_new_object();
    r = check_pass_disk(&c, disk, json_object_array_get_idx(job_disks, i), f);
    json_object_put(empty);
    if (r < 0)
      return -1;
  }
  return 0;
}
