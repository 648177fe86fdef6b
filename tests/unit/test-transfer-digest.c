/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verified passes (issue 19 item 3): the digest job's request and a
 * pass disk's "verify" as the parser types them (each error naming its
 * field), and the pieces a digest cuts its extents into. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "transfer/digest.h"
#include "transfer/incremental.h"
#include "transfer/pass-verify.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char job[] =
  "{\"type\": \"sync\", \"disks\": ["
  "{\"source\": {\"nbd\": \"nbd+unix:///?socket=/s\", \"bitmap\": \"b0\"},"
  " \"destination\": {\"path\": \"/d0\"}}]}";

/* "ok" when accepted, else the field the error names. */
static const char *pass_field(const char *body)
{
  static char field[128];
  _cleanup_json_ json_object *req = json_tokener_parse(job);
  _cleanup_json_ json_object *b = json_tokener_parse(body);
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) < 0)
    return "(job refused)";
  if (request_sync_pass(b, &r->u.sync, NULL, &err) == 0)
    return "ok";
  snprintf(field, sizeof field, "%s", err.field);
  return field;
}

#define VERIFY(pieces) "{\"disks\": [{\"changed_extents\": [[0, 8192]], " \
  "\"verify\": {\"algorithm\": \"sha256\", \"extents\": " pieces "}}]}"

static void verify_bodies(void)
{
  is_str(pass_field(VERIFY("[[0, 4096, \"" H64 "\"], [4096, 4096, \"" H64
                           "\"]]")), "ok", "two pieces");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], \"verify\":"
                    " {\"algorithm\": \"sha256\", \"chunk_bytes\": 1048576,"
                    " \"extents\": [[0, 1, \"" H64 "\"]]}}]}"), "ok",
         "a digest job's object as it is, chunk_bytes and all");
  is_str(pass_field("{\"disks\": [{\"verify\": {\"algorithm\": \"sha256\", "
                    "\"extents\": [[0, 1, \"" H64 "\"]]}}]}"),
         "disks[0].verify", "with a bitmap: the source cannot digest it");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], \"verify\":"
                    " {\"extents\": [[0, 1, \"" H64 "\"]]}}]}"),
         "disks[0].verify.algorithm", "no algorithm");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], \"verify\":"
                    " {\"algorithm\": \"sha256\"}}]}"),
         "disks[0].verify.extents", "no pieces");
  is_str(pass_field(VERIFY("[]")), "disks[0].verify.extents", "empty");
  is_str(pass_field(VERIFY("[[0, 0, \"" H64 "\"]]")),
         "disks[0].verify.extents[0]", "a zero length");
  is_str(pass_field(VERIFY("[[0, 1, \"" H64 "0\"]]")),
         "disks[0].verify.extents[0]", "65 hex digits");
  is_str(pass_field(VERIFY("[[0, 1, \"0123456789ABCDEF0123456789abcdef"
                           "0123456789abcdef0123456789abcdef\"]]")),
         "disks[0].verify.extents[0]", "upper case");
  is_str(pass_field(VERIFY("[[0, 1]]")), "disks[0].verify.extents[0]",
         "no digest");
  is_str(pass_field(VERIFY("[[4096, 1, \"" H64 "\"], [0, 1, \"" H64 "\"]]")),
         "disks[0].verify.extents[1]", "out of order");
  is_str(pass_field(VERIFY("[[0, 4096, \"" H64 "\"], [4095, 1, \"" H64
                           "\"]]")), "disks[0].verify.extents[1]",
         "overlapping");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], \"verify\":"
                    " {\"algorithm\": \"sha256\", \"x\": 1, \"extents\": []}}]}"),
         "disks[0].verify.x", "an unknown key");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], \"verify\":"
                    " []}]}"), "disks[0].verify", "not an object");
}

static void verify_typed(void)
{
  _cleanup_json_ json_object *req = json_tokener_parse(job);
  _cleanup_json_ json_object *b = json_tokener_parse(
    VERIFY("[[0, 4096, \"" H64 "\"], [8192, 512, \"" H64 "\"]]"));
  _cleanup_json_ json_object *b2 = json_tokener_parse("{}");
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  _cleanup_(sync_pass_freep) struct sync_pass *p = NULL, *p2 = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) < 0 ||
      request_sync_pass(b, &r->u.sync, &p, &err) < 0 ||
      request_sync_pass(b2, &r->u.sync, &p2, &err) < 0) {
    ok(0, "typed: %s", err.message);
    return;
  }
  const struct rq_digest *v = &p->disks[0].verify;
  is_int((int)v->n, 2, "two pieces");
  ok(v->pieces[1].offset == 8192 && v->pieces[1].length == 512,
     "offset and length");
  is_str(v->pieces[0].sha256, H64, "the digest");
  is_int((int)p2->disks[0].verify.n, 0, "no verify: none");
}

/* "ok" when accepted, else the field the error names. */
static const char *digest_field(const char *text)
{
  static char field[128];
  _cleanup_json_ json_object *req = json_tokener_parse(text);
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) == 0)
    return "ok";
  snprintf(field, sizeof field, "%s", err.field);
  return field;
}

#define DIGEST(disk) "{\"type\": \"digest\", \"disks\": [" disk "]}"

static void digest_requests(void)
{
  _cleanup_json_ json_object *req = json_tokener_parse(
    "{\"type\": \"digest\", \"chunk_mib\": 4, \"disks\": ["
    "{\"source\": {\"path\": \"/dev/null\"}, \"extents\": [[512, 1], [0, 2]]},"
    "{\"source\": {\"volume\": \"v1\"}, \"extents\": [[0, 1]]}]}");
  _cleanup_json_ json_object *dflt = json_tokener_parse(
    DIGEST("{\"source\": {\"path\": \"/x\"}, \"extents\": [[0, 1]]}"));
  _cleanup_(job_request_freep) struct job_request *r = NULL, *r2 = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) < 0 || request_load(dflt, &r2, &err) < 0) {
    ok(0, "digest requests: %s", err.message);
    return;
  }
  is_int(r->kind, JOB_DIGEST, "kind");
  is_int((int)r->u.digest.n_disks, 2, "two disks");
  ok(r->u.digest.chunk_bytes == 4u << 20, "chunk_mib 4");
  ok(r2->u.digest.chunk_bytes == 16u << 20, "16 MiB by default");
  is_str(r->u.digest.disks[0].path, "/dev/null", "a path");
  is_str(r->u.digest.disks[1].volume.id, "v1", "a volume");
  ok(r->u.digest.disks[0].n_extents == 2 &&
     r->u.digest.disks[0].extents[0].offset == 512,
     "extents in the request's order");
  is_str(digest_field(DIGEST("{\"source\": {\"nbd\": \"nbd://h/x\"}, "
                             "\"extents\": [[0, 1]]}")),
         "disks[0].source", "an NBD source: not next to the disk");
  is_str(digest_field(DIGEST("{\"source\": {\"path\": \"/x\"}}")),
         "disks[0].extents", "no extents");
  is_str(digest_field(DIGEST("{\"source\": {\"path\": \"/x\"}, "
                             "\"extents\": []}")),
         "disks[0].extents", "no extent");
  is_str(digest_field(DIGEST("{\"source\": {\"path\": \"/x\"}, "
                             "\"extents\": [[0, 0]]}")),
         "disks[0].extents[0]", "a zero length");
  is_str(digest_field(DIGEST("{\"source\": {\"path\": \"x\"}, "
                             "\"extents\": [[0, 1]]}")),
         "disks[0].source.path", "a relative path");
  is_str(digest_field("{\"type\": \"digest\", \"chunk_mib\": 0, \"disks\": "
                      "[{\"source\": {\"path\": \"/x\"}, \"extents\": "
                      "[[0, 1]]}]}"), "chunk_mib", "chunk_mib 0");
  is_str(digest_field(DIGEST("{\"source\": {\"path\": \"/x\"}, "
                             "\"extents\": [[0, 1]], \"x\": 1}")),
         "disks[0].x", "an unknown key");
}

static void cut(void)
{
  static const struct rq_extent list[] = { { 100, 50 }, { 0, 10 },
                                           { 10, 5 }, { 140, 30 },
                                           { 1000, 10 } };
  static const struct rq_extent many[] = { { 0, 4 }, { 10, 4 }, { 20, 4 },
                                           { 30, 4 }, { 40, 4 } };
  struct extents e = { 0 }, m = { 0 };
  _cleanup_free_ struct digest_piece *p = NULL, *q = NULL;
  struct digest_piece placed[3] = { { .offset = 0 }, { .offset = 117 },
                                    { .offset = 149 } };
  size_t n = 0, nq = 0;

  if (changes_from_list(list, 5, 200, &e) < 0 ||
      digest_cut(&e, 32, &p, &n) < 0 ||
      changes_from_list(many, 5, 200, &m) < 0 ||
      digest_cut(&m, 8, &q, &nq) < 0) {
    ok(0, "cut");
    return;
  }
  /* merged [0, 15], [100, 70]; past the end dropped; 32 bytes of data a
   * piece: [0, 15] + [100, 17], then [117, 32], then [149, 21] */
  is_int((int)n, 3, "85 bytes of data in pieces of 32: 3");
  ok(p[0].offset == 0 && p[0].length == 117 && p[0].first == 0,
     "piece 1: the window [0, 117] over both extents");
  ok(p[1].offset == 117 && p[1].length == 32 && p[1].first == 1,
     "piece 2: [117, 32], inside the second");
  ok(p[2].offset == 149 && p[2].length == 21 && p[2].first == 1,
     "piece 3: [149, 21], the rest");
  digest_place(&e, placed, 3);
  ok(placed[0].first == 0 && placed[1].first == 1 && placed[2].first == 1,
     "pieces of a request placed on the extents as cut");
  is_int((int)nq, 3, "five extents of 4 bytes, 8 a piece: 3 pieces");
  ok(q[0].offset == 0 && q[0].length == 14 && q[1].offset == 20 &&
     q[1].length == 14 && q[2].offset == 40 && q[2].length == 4,
     "each piece spans the gap between two small extents");
  strcpy(p[0].sha256, H64);
  _cleanup_json_ json_object *o = digest_json(p, 1, 32);
  is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
         "{\"algorithm\":\"sha256\",\"chunk_bytes\":32,\"extents\":"
         "[[0,117,\"" H64 "\"]]}", "as JSON");
  extents_free(&e);
  extents_free(&m);
}

/* "ok" when the posted digest body is accepted, else its field. */
static const char *posted_field(const char *body)
{
  static char field[128];
  _cleanup_json_ json_object *req = json_tokener_parse(job);
  _cleanup_json_ json_object *b = json_tokener_parse(body);
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  _cleanup_(pass_digest_freep) struct pass_digest *p = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) < 0)
    return "(job refused)";
  if (request_pass_digest(b, &r->u.sync, &p, &err) == 0)
    return p && p->disks[0].n > 0 ? "ok" : "(not typed)";
  snprintf(field, sizeof field, "%s", err.field);
  return field;
}

static void posted_bodies(void)
{
  _cleanup_json_ json_object *req = json_tokener_parse(
    "{\"type\": \"sync\", \"verify\": true, \"disks\": [{\"source\": "
    "{\"path\": \"/s\"}, \"destination\": {\"path\": \"/d\"}}]}");
  _cleanup_json_ json_object *b = json_tokener_parse(
    "{\"disks\": [{\"changed_extents\": [[0, 1]], \"verify\": true}]}");
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  _cleanup_(sync_pass_freep) struct sync_pass *p = NULL;
  struct uch_error err = { 0 };

  is_str(pass_field("{\"disks\": [{\"verify\": true}]}"), "ok",
         "verify true with the source's bitmap: a posted digest");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], "
                    "\"verify\": false}]}"), "ok", "verify false");
  is_str(pass_field("{\"disks\": [{\"changed_extents\": [[0, 1]], "
                    "\"verify\": 3}]}"), "disks[0].verify", "verify 3");
  if (request_load(req, &r, &err) < 0 ||
      request_sync_pass(b, &r->u.sync, &p, &err) < 0) {
    ok(0, "typed: %s", err.message);
    return;
  }
  ok(r->u.sync.verify, "a sync request's verify: pass 1 verified");
  ok(p->disks[0].verify_posted && p->disks[0].verify.n == 0,
     "verify true: posted, no digest in the body");
  is_str(posted_field("{\"disks\": [{\"algorithm\": \"sha256\", "
                      "\"chunk_bytes\": 1, \"extents\": [[0, 1, \"" H64
                      "\"]]}]}"), "ok", "a digest job's digest, posted");
  is_str(posted_field("{}"), "disks", "no disks");
  is_str(posted_field("{\"disks\": []}"), "disks", "not the job's one disk");
  is_str(posted_field("{\"disks\": [null]}"), "disks", "no digest at all");
  is_str(posted_field("{\"disks\": [[]]}"), "disks[0]", "not an object");
  is_str(posted_field("{\"disks\": [{\"algorithm\": \"sha256\", "
                      "\"extents\": [[0, 1, \"x\"]]}]}"),
         "disks[0].extents[0]", "not hex");
  is_str(posted_field("{\"disks\": [{\"algorithm\": \"sha256\", "
                      "\"extents\": []}]}"), "disks[0].extents", "no pieces");
  is_str(posted_field("{\"disks\": [{\"algorithm\": \"md5\", "
                      "\"extents\": [[0, 1, \"" H64 "\"]]}]}"),
         "disks[0].algorithm", "md5");
  is_str(posted_field("{\"pass\": 2, \"disks\": []}"), "pass",
         "an unknown key");
}

/* The source's digest of `list` in `path` as a posted one: pieces of
 * `chunk`, their strings in *hex (free both). */
static struct rq_digest source_digest(struct runner *r, const char *path,
                                      const struct rq_extent *list, size_t n,
                                      uint64_t chunk, char **hex)
{
  struct extents e = { 0 };
  struct digest_piece *p = NULL;
  struct rq_digest_piece *v;
  size_t np = 0, failed;
  int fd = open(path, O_RDONLY);

  if (fd < 0 || changes_from_list(list, n, (uint64_t)digest_fd_size(fd),
                                  &e) < 0 ||
      digest_cut(&e, chunk, &p, &np) < 0 ||
      digest_compute(r, fd, &e, p, np, 1, &failed) < 0)
    abort();
  close(fd);
  v = calloc(np, sizeof *v);
  *hex = calloc(np, DIGEST_HEX_LEN + 1);
  for (size_t i = 0; i < np; i++) {
    memcpy(*hex + i * (DIGEST_HEX_LEN + 1), p[i].sha256, DIGEST_HEX_LEN + 1);
    v[i] = (struct rq_digest_piece){ p[i].offset, p[i].length,
                                     *hex + i * (DIGEST_HEX_LEN + 1) };
  }
  free(p);
  extents_free(&e);
  return (struct rq_digest){ np, v };
}

/* 0 verified, else the failure's code and message in f. */
static int posted(struct runner *r, const char *path,
                  const struct rq_changes *ch, const struct rq_digest *v,
                  json_object *res, struct job_failure *f)
{
  struct pass_own_digest own;
  int ret = pass_own_digest(r, 0, path, ch, &own, f) < 0 ? -1
            : pass_verify_posted(r, 0, path, &own, v, 0.5, res, f);
  pass_own_digest_free(&own);
  return ret;
}

static void posted_compare(void)
{
  char dir[] = "/tmp/test-transfer-digest.XXXXXX";
  static const struct rq_extent list[] = { { 0, 8192 }, { 65536, 4096 } };
  static const struct rq_extent whole[] = { { 0, 1 << 30 } };
  static const struct rq_extent half[] = { { 0, 512 << 10 } };
  struct rq_changes ch = { .kind = CHANGES_EXTENTS, .n_extents = 2,
                           .extents = list };
  struct runner r;
  struct job_failure f;
  _cleanup_free_ char *path = NULL, *h1 = NULL, *h2 = NULL, *h3 = NULL,
                      *h4 = NULL, *h5 = NULL;
  _cleanup_json_ json_object *res = json_object_new_object();
  struct rq_digest v, w, x, y, z;
  char buf[4096];
  int fd;

  if (!mkdtemp(dir) || asprintf(&path, "%s/d.img", dir) < 0)
    abort();
  memset(&r, 0, sizeof r);
  r.rt_dir = dir;
  children_init(&r.kids, -1);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  for (int i = 0; i < 256; i++) {
    memset(buf, i, sizeof buf);
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
      abort();
  }
  v = source_digest(&r, path, list, 2, 16 << 20, &h1);
  w = source_digest(&r, path, list, 2, 4096, &h2);
  x = source_digest(&r, path, whole, 1, 16 << 20, &h3);
  y = source_digest(&r, path, half, 1, 64 << 10, &h4);
  z = source_digest(&r, path, list, 1, 16 << 20, &h5);
  is_int(posted(&r, path, &ch, &v, res, &f), 0, "equal: verified");
  ok(json_object_get_int64(json_get(json_get(res, "verified"), "bytes"))
     == 12288, "12288 bytes verified");
  ok(json_get(json_get(res, "verified"), "waited_seconds") != NULL,
     "with the time it waited for the digest");
  is_int(posted(&r, path, &ch, &w, res, &f), 0,
         "the source's pieces of 4096, the destination's own of 16 MiB: "
         "digested again in them, verified");
  is_int(posted(&r, path, NULL, &x, res, &f), 0,
         "the whole disk against a digest of [0, 1 GiB] clipped");
  is_int(posted(&r, path, NULL, &y, res, &f), 0,
         "the whole disk of a source half its size");
  ok(json_object_get_int64(json_get(json_get(res, "verified"), "bytes"))
     == 512 << 10, "verified up to the source's end");
  is_int(posted(&r, path, &ch, &z, res, &f), -1,
         "a digest that leaves out [65536, 4096] of the pass");
  is_str(f.code, "verify_failed", "verify_failed");
  ok(strstr(f.message, "wrote [65536, 4096]") != NULL,
     "naming what it left out: %s", f.message);
  memset(buf, 0xee, 16);
  if (pwrite(fd, buf, 16, 65536 + 100) != 16)
    abort();
  is_int(posted(&r, path, &ch, &w, res, &f), -1, "a changed byte");
  is_str(f.code, "verify_mismatch", "verify_mismatch");
  ok(strstr(f.message, "[65536, 4096]") != NULL,
     "naming the piece: %s", f.message);
  is_int(posted(&r, path, NULL, &x, res, &f), -1,
         "the whole disk, a changed byte");
  ok(strstr(f.message, "[0, 1048576]") != NULL, "naming the piece: %s",
     f.message);
  close(fd);
  free((void *)v.pieces);
  free((void *)w.pieces);
  free((void *)x.pieces);
  free((void *)y.pieces);
  free((void *)z.pieces);
  children_done(&r.kids);
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  verify_bodies();
  verify_typed();
  digest_requests();
  cut();
  posted_bodies();
  posted_compare();
  return tap_done();
}
