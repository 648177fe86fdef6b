/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "copy" request: disks, each a SOURCE and a DEST. */
#include <string.h>

#include "jobs/request_check.h"
#include "util/jsonutil.h"

#define CHANGES_MAX 65536

/* [[OFFSET, LENGTH], ...]: what changed since the copy on the
 * destination (VMware CBT QueryChangedDiskAreas, OpenStack). */
int check_extent_list(struct rq_ctx *c, json_object *list,
                             const char *field)
{
  size_t n = json_object_array_length(list);
  char f[FIELD_MAX];

  if (n > CHANGES_MAX)
    return rq_fail(c, field, "at most %d extents", CHANGES_MAX);
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
  }
  return 0;
}

/* "changes": {"bitmap": NAME} | {"extents": [...]}: a pass of a warm
 * migration onto an existing raw copy. */
static int check_changes(struct rq_ctx *c, json_object *disk,
                         json_object *dest, const char *field)
{
  static const char *const keys[] = { "bitmap", "extents", NULL };
  json_object *changes = NULL, *list = NULL;
  const char *bitmap = NULL, *format = json_get_string(dest, "format");
  char f[FIELD_MAX], g[FIELD_MAX];

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
  if (list && check_extent_list(c, list, g) < 0)
    return -1;
  if (format && strcmp(format, "raw") != 0)
    return rq_fail(c, f, "a pass writes onto a raw destination, not %s",
                   format);
  return 0;
}

static int check_copy_disk(struct rq_ctx *c, json_object *disk,
                           const char *field)
{
  static const char *const keys[] = { "source", "destination", "changes",
                                      NULL };
  json_object *source = NULL, *dest = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  if (check_source(c, source, f) < 0 ||
      get_object(c, disk, field, "destination", true, &dest) < 0)
    return -1;
  field_key(f, field, "destination");
  if (check_destination(c, dest, f) < 0)
    return -1;
  return check_changes(c, disk, dest, field);
}

int check_copy(struct rq_ctx *c, json_object *req)
{
  static const char *const keys[] = { "type", "id", "labels", "verify",
                                      "disks", "limits", NULL };
  json_object *disks;
  char f[FIELD_MAX];
  size_t n;
  bool verify;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_bool(c, req, "", "verify", false, &verify) < 0 ||
      check_limits(c, req, "") < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    field_index(f, "disks", i);
    if (check_copy_disk(c, json_object_array_get_idx(disks, i), f) < 0)
      return -1;
  }
  return 0;
}
