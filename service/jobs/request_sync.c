/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "sync" request (a warm migration: one job, many passes) and the
 * body of POST /v1/jobs/{id}/sync and /cutover, which asks for one more
 * pass. */
#include <stdlib.h>
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
static int parse_sync_source(struct rq_ctx *c, json_object *source,
                             const char *field, struct rq_source *out)
{
  _cleanup_json_ json_object *plain = NULL;
  const char *bitmap = NULL;
  char f[FIELD_MAX];

  if (!has(source, "bitmap"))
    return parse_source(c, source, field, out);
  field_key(f, field, "bitmap");
  if (!has(source, "nbd"))
    return rq_fail(c, f, "only goes with \"nbd\" (a dirty bitmap is read "
                   "over NBD)");
  if (get_name(c, source, field, "bitmap", true, &bitmap) < 0)
    return -1;
  if (json_object_deep_copy(source, &plain, NULL) < 0)
    return rq_fail(c, field, "out of memory");
  json_object_object_del(plain, "bitmap");
  if (parse_source(c, plain, field, out) < 0)
    return -1;
  /* the request itself, not its copy */
  out->json = source;
  out->nbd = json_get_string(source, "nbd");
  out->bitmap = bitmap;
  return 0;
}

static int parse_sync_disk(struct rq_ctx *c, json_object *disk,
                           const char *field, struct copy_disk_request *out)
{
  static const char *const keys[] = { "source", "destination", NULL };
  static const char *const raw_only[] = { "raw", NULL };
  json_object *source = NULL, *dest = NULL;
  const char *format = NULL;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  if (parse_sync_source(c, source, f, &out->source) < 0 ||
      get_object(c, disk, field, "destination", true, &dest) < 0)
    return -1;
  field_key(f, field, "destination");
  if (parse_destination(c, dest, f, &out->destination) < 0)
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
                                      "rehearse", "verify", NULL };
  struct sync_request *sync = &out->u.sync;
  json_object *disks;
  char f[FIELD_MAX];
  size_t n;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_int(c, req, "", "interval_s", false, 1, SYNC_INTERVAL_MAX,
              &sync->interval_s) < 0 ||
      parse_limits(c, req, "", &sync->limits) < 0 ||
      parse_sync_inplace(c, req, sync) < 0 ||
      get_bool(c, req, "", "rehearse", false, &sync->rehearse) < 0 ||
      get_bool(c, req, "", "verify", false, &sync->verify) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  /* a rehearsal converts the guest "inplace" describes */
  if (sync->rehearse && !sync->has_inplace)
    return rq_fail(c, "rehearse", "needs \"inplace\": a rehearsal runs the "
                   "conversion the cutover would, of the guest it describes");
  for (size_t i = 0; i < n; i++) {
    field_index(f, "disks", i);
    if (parse_sync_disk(c, json_object_array_get_idx(disks, i), f,
                        &sync->disks[i]) < 0)
      return -1;
    /* a pass nobody asked for has no extent list: it needs a bitmap */
    if (sync->interval_s > 0 && !sync->disks[i].source.bitmap)
      return rq_fail(c, "interval_s", "passes on an interval read a dirty "
                     "bitmap, and %s.source has none", f);
  }
  sync->n_disks = n;
  return 0;
}

static int parse_pass_disk(struct rq_ctx *c, json_object *disk,
                           const struct rq_source *job_source,
                           const char *field, struct rq_owned **owned,
                           struct sync_pass_disk *out)
{
  static const char *const keys[] = { "changed_extents", "bitmap",
                                      "change_id", "verify", NULL };
  json_object *list = NULL;
  const char *bitmap = NULL;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_array(c, disk, field, "changed_extents", false, &list) < 0 ||
      get_name(c, disk, field, "bitmap", false, &bitmap) < 0 ||
      get_string(c, disk, field, "change_id", false, &out->change_id) < 0)
    return -1;
  if (list && bitmap)
    return rq_fail(c, field, "must have at most one of \"changed_extents\" "
                   "or \"bitmap\"");
  field_key(f, field, "change_id");
  if (out->change_id && strlen(out->change_id) > CHANGE_ID_MAX)
    return rq_fail(c, f, "is longer than %d bytes", CHANGE_ID_MAX);
  field_key(f, field, "bitmap");
  if (bitmap && job_source->kind != SOURCE_NBD)
    return rq_fail(c, f, "the job's source is not \"nbd\": a bitmap is read "
                   "over NBD");
  field_key(f, field, "changed_extents");
  if (list)
    return parse_extent_list(c, list, f, owned, &out->changes) < 0 ? -1
           : parse_pass_verify(c, disk, field, &out->changes, owned,
                               &out->verify, &out->verify_posted);
  if (!bitmap && !job_source->bitmap)
    return rq_fail(c, f, "is required: the job's source has no bitmap to "
                   "tell what changed");
  out->changes = (struct rq_changes){ .kind = CHANGES_BITMAP,
                                      .bitmap = bitmap ? bitmap
                                                       : job_source->bitmap };
  return parse_pass_verify(c, disk, field, &out->changes, owned,
                           &out->verify, &out->verify_posted);
}

void sync_pass_free(struct sync_pass *p)
{
  if (!p)
    return;
  rq_owned_free(&p->owned);
  json_object_put(p->json);
  free(p);
}

int request_sync_pass(json_object *body, const struct sync_request *job,
                      struct sync_pass **out, struct uch_error *err)
{
  static const char *const keys[] = { "disks", "rehearse", NULL };
  struct rq_ctx c = { .err = err };
  _cleanup_(sync_pass_freep) struct sync_pass *p = calloc(1, sizeof *p);
  json_object *disks = NULL;
  size_t n = job->n_disks;
  char f[FIELD_MAX];

  if (out)
    *out = NULL;
  if (!p) {
    uch_error_set(err, "internal", "", "out of memory");
    return -1;
  }
  if (!body || !json_object_is_type(body, json_type_object))
    return rq_fail(&c, "", "the body must be a JSON object");
  p->json = json_object_get(body);
  if (check_known_keys(&c, body, "", keys) < 0 ||
      get_array(&c, body, "", "disks", false, &disks) < 0 ||
      get_bool(&c, body, "", "rehearse", false, &p->rehearse) < 0)
    return -1;
  if (p->rehearse && !job->has_inplace)
    return rq_fail(&c, "rehearse", "the job has no \"inplace\" guest: "
                   "there is no conversion to rehearse");
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
    r = parse_pass_disk(&c, disk, &job->disks[i].source, f, &p->owned,
                        &p->disks[i]);
    json_object_put(empty);
    if (r < 0)
      return -1;
  }
  p->n_disks = n;
  if (out)
    *out = steal_ptr(p);
  return 0;
}

int request_sync_pass_action(json_object *body, const char *action,
                             const struct sync_request *job,
                             struct sync_pass **out, struct uch_error *err)
{
  _cleanup_(sync_pass_freep) struct sync_pass *p = NULL;

  if (out)
    *out = NULL;
  if (request_sync_pass(body, job, &p, err) < 0)
    return -1;
  if (p->rehearse && strcmp(action, "cutover") == 0) {
    struct rq_ctx c = { .err = err };
    return rq_fail(&c, "rehearse", "is for a sync pass: the cutover runs "
                   "the conversion itself");
  }
  if (out)
    *out = steal_ptr(p);
  return 0;
}

int request_sync_pass_file(json_object *file, const struct sync_request *job,
                           enum pass_trigger *trigger, struct sync_pass **out,
                           struct uch_error *err)
{
  const char *action = json_get_string(file, "action");

  *out = NULL;
  if (!action) {
    /* no file: the interval's pass, which reads the sources' bitmaps */
    *trigger = PASS_INTERVAL;
    return 0;
  }
  if (strcmp(action, "sync") == 0)
    *trigger = PASS_SYNC;
  else if (strcmp(action, "cutover") == 0)
    *trigger = PASS_CUTOVER;
  else {
    uch_error_set(err, "invalid_request", "action", "\"%.32s\" is not "
                  "\"sync\" or \"cutover\"", action);
    return -1;
  }
  return request_sync_pass_action(json_get(file, "body"), action, job, out,
                                  err);
}
