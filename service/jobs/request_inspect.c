/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "inspect" request: disks of one guest, each a SOURCE that
 * libguestfs can open read-only (a path, an NBD URI or a volume). */
#include "jobs/request_check.h"
#include "util/jsonutil.h"

static int parse_inspect_disk(struct rq_ctx *c, json_object *disk,
                              const char *field, struct rq_source *out)
{
  static const char *const keys[] = { "source", NULL };
  json_object *source = NULL;
  char f[FIELD_MAX], g[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  /* libguestfs reads a path or an NBD server itself; an nbdkit plugin
   * would need the worker to serve it first (copy the disk instead). */
  if (json_get(source, "nbdkit")) {
    field_key(g, f, "nbdkit");
    return rq_fail(c, g, "inspect reads a \"path\", an \"nbd\" URI or a "
                   "\"volume\", not an nbdkit plugin");
  }
  return parse_source(c, source, f, out);
}

int parse_inspect(struct rq_ctx *c, json_object *req, struct job_request *out)
{
  static const char *const keys[] = { "type", "id", "labels", "disks", NULL };
  json_object *disks;
  char f[FIELD_MAX];
  size_t n;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    field_index(f, "disks", i);
    if (parse_inspect_disk(c, json_object_array_get_idx(disks, i), f,
                           &out->u.inspect.sources[i]) < 0)
      return -1;
  }
  out->u.inspect.n_disks = n;
  return 0;
}
