/* The "copy" request: disks, each a SOURCE and a DEST. */
#include "request_check.h"

static int check_copy_disk(struct rq_ctx *c, json_object *disk,
                           const char *field)
{
  static const char *const keys[] = { "source", "destination", NULL };
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
  return check_destination(c, dest, f);
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
