/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verified passes (issue 19 item 3): the "digest" request, SHA-256s of
 * given extents of local disks read next to them, and a sync pass
 * disk's "verify", that digest as the source appliance's job gave it,
 * which the pass compares with the destination's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/request.h"
#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

#define DIGEST_CHUNK_MIB_DEFAULT 16
#define DIGEST_CHUNK_MIB_MAX 1024
#define VERIFY_PIECES_MAX 65536

static int parse_digest_disk(struct rq_ctx *c, json_object *disk,
                             const char *field, struct rq_owned **owned,
                             struct digest_disk *out)
{
  static const char *const keys[] = { "source", "extents", NULL };
  json_object *source = NULL, *list = NULL;
  struct rq_source src = { 0 };
  struct rq_changes ch = { 0 };
  char f[FIELD_MAX], g[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  /* read next to the disk: a digest over the network is what a
   * verified pass is there to save */
  if (!json_get(source, "path") && !json_get(source, "volume"))
    return rq_fail(c, f, "must be {\"path\": ABS} or {\"volume\": ID}: a "
                   "digest reads the disk next to it, not over the network");
  if (parse_source(c, source, f, &src) < 0)
    return -1;
  if (src.kind != SOURCE_PATH && src.kind != SOURCE_VOLUME) {
    field_key(g, f, src.kind == SOURCE_NBD ? "nbd" : "nbdkit");
    return rq_fail(c, g, "a digest reads a \"path\" or a \"volume\"");
  }
  out->source = source;
  out->path = src.kind == SOURCE_PATH ? src.path : NULL;
  out->volume = src.volume;
  if (get_array(c, disk, field, "extents", true, &list) < 0)
    return -1;
  field_key(g, field, "extents");
  if (json_object_array_length(list) == 0)
    return rq_fail(c, g, "must list at least one [OFFSET, LENGTH]");
  if (parse_extent_list(c, list, g, owned, &ch) < 0)
    return -1;
  out->n_extents = ch.n_extents;
  out->extents = ch.extents;
  return 0;
}

int parse_digest(struct rq_ctx *c, json_object *req, struct job_request *out)
{
  static const char *const keys[] = { "type", "id", "labels", "disks",
                                      "chunk_mib", NULL };
  struct digest_request *d = &out->u.digest;
  int64_t chunk_mib = DIGEST_CHUNK_MIB_DEFAULT;
  json_object *disks;
  char f[FIELD_MAX];
  size_t n;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_int(c, req, "", "chunk_mib", false, 1, DIGEST_CHUNK_MIB_MAX,
              &chunk_mib) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  d->chunk_bytes = (uint64_t)chunk_mib << 20;
  for (size_t i = 0; i < n; i++) {
    field_index(f, "disks", i);
    if (parse_digest_disk(c, json_object_array_get_idx(disks, i), f,
                          &out->owned, &d->disks[i]) < 0)
      return -1;
  }
  d->n_disks = n;
  return 0;
}

static bool is_sha256_hex(const char *s)
{
  size_t n = strspn(s, "0123456789abcdef");
  return n == 64 && s[n] == '\0';
}

/* [OFFSET, LENGTH, SHA256] */
static int parse_piece(struct rq_ctx *c, json_object *t, const char *field,
                       struct rq_digest_piece *out)
{
  json_object *off, *len, *hex;

  if (!json_object_is_type(t, json_type_array) ||
      json_object_array_length(t) != 3 ||
      !json_object_is_type(off = json_object_array_get_idx(t, 0),
                           json_type_int) ||
      !json_object_is_type(len = json_object_array_get_idx(t, 1),
                           json_type_int) ||
      !json_object_is_type(hex = json_object_array_get_idx(t, 2),
                           json_type_string) ||
      json_object_get_int64(off) < 0 || json_object_get_int64(len) < 1)
    return rq_fail(c, field, "must be [OFFSET, LENGTH, SHA256], integers, "
                   "LENGTH > 0, as a digest job's result gives it");
  if (!is_sha256_hex(json_object_get_string(hex)))
    return rq_fail(c, field, "its SHA256 must be 64 lowercase hex digits");
  *out = (struct rq_digest_piece){ (uint64_t)json_object_get_int64(off),
                                   (uint64_t)json_object_get_int64(len),
                                   json_object_get_string(hex) };
  if (out->offset > UINT64_MAX - out->length)
    return rq_fail(c, field, "OFFSET + LENGTH overflows");
  return 0;
}

/* A digest object, {"algorithm": "sha256", "chunk_bytes"?: N,
 * "extents": [[OFFSET, LENGTH, SHA256], ...]} at `field`, into *out. */
static int parse_digest_object(struct rq_ctx *c, json_object *verify,
                               const char *f, struct rq_owned **owned,
                               struct rq_digest *out)
{
  static const char *const keys[] = { "algorithm", "chunk_bytes", "extents",
                                      NULL };
  static const char *const algorithms[] = { "sha256", NULL };
  json_object *list = NULL;
  struct rq_digest_piece *v;
  const char *algorithm = NULL;
  int64_t chunk = 0;
  char g[FIELD_MAX];
  size_t n;

  if (!json_object_is_type(verify, json_type_object))
    return rq_fail(c, f, "must be a digest job's result.disks[i].digest "
                   "({\"algorithm\": \"sha256\", \"extents\": [...]})");
  if (check_known_keys(c, verify, f, keys) < 0 ||
      get_enum(c, verify, f, "algorithm", true, algorithms, &algorithm) < 0 ||
      get_int(c, verify, f, "chunk_bytes", false, 1,
              (int64_t)DIGEST_CHUNK_MIB_MAX << 20, &chunk) < 0 ||
      get_array(c, verify, f, "extents", true, &list) < 0)
    return -1;
  field_key(g, f, "extents");
  n = json_object_array_length(list);
  if (n == 0 || n > VERIFY_PIECES_MAX)
    return rq_fail(c, g, "must list 1 to %d [OFFSET, LENGTH, SHA256]",
                   VERIFY_PIECES_MAX);
  if (!(v = rq_owned_alloc(owned, n, sizeof *v)))
    return rq_fail(c, g, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char h[FIELD_MAX];
    field_index(h, g, i);
    if (parse_piece(c, json_object_array_get_idx(list, i), h, &v[i]) < 0)
      return -1;
    if (i > 0 && v[i].offset < v[i - 1].offset + v[i - 1].length)
      return rq_fail(c, h, "starts before the end of the one before it: "
                     "the pieces are in order and apart, as a digest job "
                     "gives them");
  }
  out->n = n;
  out->pieces = v;
  return 0;
}

int parse_pass_verify(struct rq_ctx *c, json_object *disk, const char *field,
                      const struct rq_changes *changes,
                      struct rq_owned **owned, struct rq_digest *out,
                      bool *posted)
{
  json_object *verify = NULL;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  *posted = false;
  field_key(f, field, "verify");
  if (!json_object_object_get_ex(disk, "verify", &verify) || !verify)
    return 0;
  /* true: the source appliance's digest comes later, posted to
   * /v1/jobs/ID/digest while the pass copies */
  if (json_object_is_type(verify, json_type_boolean)) {
    *posted = json_object_get_boolean(verify);
    return 0;
  }
  if (!json_object_is_type(verify, json_type_object))
    return rq_fail(c, f, "must be true (the digest is posted to "
                   "/v1/jobs/ID/digest) or a digest job's "
                   "result.disks[i].digest");
  /* the source appliance digests the extents the orchestrator names:
   * a bitmap's are known only to the pass */
  if (changes->kind != CHANGES_EXTENTS)
    return rq_fail(c, f, "goes with \"changed_extents\" (the extents the "
                   "source appliance's digest job read), not a bitmap; "
                   "\"verify\": true verifies a bitmap pass against a "
                   "posted digest of the whole disk");
  return parse_digest_object(c, verify, f, owned, out);
}

void pass_digest_free(struct pass_digest *p)
{
  if (!p)
    return;
  rq_owned_free(&p->owned);
  json_object_put(p->json);
  free(p);
}

int request_pass_digest(json_object *body, const struct sync_request *job,
                        struct pass_digest **out, struct uch_error *err)
{
  static const char *const keys[] = { "disks", NULL };
  struct rq_ctx c = { .err = err };
  _cleanup_(pass_digest_freep) struct pass_digest *p = calloc(1, sizeof *p);
  json_object *disks = NULL;
  size_t n = job->n_disks, given = 0;
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
      get_array(&c, body, "", "disks", true, &disks) < 0)
    return -1;
  if (json_object_array_length(disks) != n)
    return rq_fail(&c, "disks", "must list the job's %zu disks, in order "
                   "(null for one not verified), not %zu", n,
                   json_object_array_length(disks));
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(disks, i);
    field_index(f, "disks", i);
    if (!d)
      continue;
    if (parse_digest_object(&c, d, f, &p->owned, &p->disks[i]) < 0)
      return -1;
    given++;
  }
  if (given == 0)
    return rq_fail(&c, "disks", "has no digest: at least one disk's");
  p->n_disks = n;
  if (out)
    *out = steal_ptr(p);
  return 0;
}
