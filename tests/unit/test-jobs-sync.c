/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sync job's pass requests: the body of POST /v1/jobs/{id}/sync
 * (request_sync_pass, against the job's request) and the request file
 * uchd leaves for the worker (at most one waiting; nothing after a
 * cutover). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "jobs/sync_request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "tap.h"

static const char job[] =
  "{\"type\": \"sync\", \"disks\": ["
  "{\"source\": {\"nbd\": \"nbd+unix:///?socket=/s\", \"bitmap\": \"b0\"},"
  " \"destination\": {\"path\": \"/d0\"}},"
  "{\"source\": {\"path\": \"/dev/null\"}, \"destination\": {\"path\": \"/d1\"}}]}";

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

static void pass_bodies(void)
{
  is_str(pass_field("{\"disks\": [{}, {\"changed_extents\": [[0, 512]]}]}"),
         "ok", "bitmap disk alone, list for the other");
  is_str(pass_field("{\"disks\": [{\"bitmap\": \"b1\", \"change_id\": \"x\"},"
                    " {\"changed_extents\": [], \"change_id\": \"c7\"}]}"),
         "ok", "another bitmap; an empty list (nothing changed)");
  is_str(pass_field("{}"), "disks[1].changed_extents",
         "no body: the disk without a bitmap needs a list");
  is_str(pass_field("{\"disks\": [{}]}"), "disks", "one disk of two");
  is_str(pass_field("{\"disks\": [{}, {\"changed_extents\": [[0, 0]]}]}"),
         "disks[1].changed_extents[0]", "a zero length");
  is_str(pass_field("{\"disks\": [{}, {\"changed_extents\": [[-1, 5]]}]}"),
         "disks[1].changed_extents[0]", "a negative offset");
  is_str(pass_field("{\"disks\": [{}, {\"bitmap\": \"b1\"}]}"),
         "disks[1].bitmap", "a bitmap for a source that is not nbd");
  is_str(pass_field("{\"disks\": [{\"bitmap\": \"b1\", \"changed_extents\": []},"
                    " {\"changed_extents\": []}]}"),
         "disks[0]", "bitmap and list at once");
  is_str(pass_field("{\"disks\": [{\"extents\": []}, {\"changed_extents\": []}]}"),
         "disks[0].extents", "an unknown key");
  is_str(pass_field("{\"disks\": [{}, {\"changed_extents\": []}], \"x\": 1}"),
         "x", "an unknown top-level key");
  is_str(pass_field("[]"), "", "not an object");
}

/* The typed pass: what changed on each disk, and its marker. */
static void pass_typed(void)
{
  _cleanup_json_ json_object *req = json_tokener_parse(job);
  _cleanup_json_ json_object *b = json_tokener_parse(
    "{\"disks\": [{\"change_id\": \"c1\"},"
    " {\"changed_extents\": [[4096, 512], [0, 1]]}]}");
  _cleanup_json_ json_object *b2 = json_tokener_parse(
    "{\"disks\": [{\"bitmap\": \"b9\"}, {\"changed_extents\": []}]}");
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  _cleanup_(sync_pass_freep) struct sync_pass *p = NULL, *p2 = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) < 0 ||
      request_sync_pass(b, &r->u.sync, &p, &err) < 0 ||
      request_sync_pass(b2, &r->u.sync, &p2, &err) < 0) {
    ok(0, "typed passes: %s", err.message);
    return;
  }
  is_int((int)p->n_disks, 2, "a pass has the job's disks");
  ok(p->disks[0].changes.kind == CHANGES_BITMAP, "disk 0: a bitmap");
  is_str(p->disks[0].changes.bitmap, "b0", "the source's, by default");
  is_str(p->disks[0].change_id, "c1", "the change id");
  ok(p->disks[1].changes.kind == CHANGES_EXTENTS &&
     p->disks[1].changes.n_extents == 2, "disk 1: two extents");
  ok(p->disks[1].changes.extents[0].offset == 4096 &&
     p->disks[1].changes.extents[0].length == 512 &&
     p->disks[1].changes.extents[1].offset == 0 &&
     p->disks[1].changes.extents[1].length == 1,
     "in the request's order, as given");
  ok(p->disks[1].change_id == NULL, "no change id: NULL");
  is_str(p2->disks[0].changes.bitmap, "b9", "the body's bitmap wins");
  ok(p2->disks[1].changes.kind == CHANGES_EXTENTS &&
     p2->disks[1].changes.n_extents == 0, "an empty list: nothing changed");
}

/* "rehearse": in the request (needs "inplace") and in a sync pass's body
 * (not a cutover's). */
static const char *rehearse_field(const char *job_text, const char *body,
                                  const char *action)
{
  static char field[160];
  _cleanup_json_ json_object *req = json_tokener_parse(job_text);
  _cleanup_json_ json_object *b = body ? json_tokener_parse(body) : NULL;
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  _cleanup_(sync_pass_freep) struct sync_pass *p = NULL;
  struct uch_error err = { 0 };

  if (request_load(req, &r, &err) < 0) {
    snprintf(field, sizeof field, "job: %s", err.field);
    return field;
  }
  if (!b)
    return r->u.sync.rehearse ? "ok, rehearse" : "ok";
  if (request_sync_pass_action(b, action, &r->u.sync, &p, &err) < 0) {
    snprintf(field, sizeof field, "%s", err.field);
    return field;
  }
  return p->rehearse ? "ok, rehearse" : "ok";
}

static void rehearse(void)
{
  static const char with[] =
    "{\"type\": \"sync\", \"rehearse\": true, \"disks\": ["
    "{\"source\": {\"path\": \"/dev/null\"}, \"destination\": {\"path\": \"/d\"}}],"
    " \"inplace\": {\"name\": \"g\"}}";
  static const char without[] =
    "{\"type\": \"sync\", \"disks\": ["
    "{\"source\": {\"path\": \"/dev/null\"}, \"destination\": {\"path\": \"/d\"}}]}";

  is_str(rehearse_field(with, NULL, NULL), "ok, rehearse",
         "a sync request that rehearses after pass 1");
  is_str(rehearse_field("{\"type\": \"sync\", \"rehearse\": true, "
                        "\"disks\": [{\"source\": {\"path\": \"/dev/null\"}, "
                        "\"destination\": {\"path\": \"/d\"}}]}", NULL, NULL),
         "job: rehearse", "rehearse without inplace: refused, naming it");
  is_str(rehearse_field("{\"type\": \"sync\", \"rehearse\": 1, "
                        "\"disks\": [{\"source\": {\"path\": \"/dev/null\"}, "
                        "\"destination\": {\"path\": \"/d\"}}], "
                        "\"inplace\": {\"name\": \"g\"}}", NULL, NULL),
         "job: rehearse", "rehearse not a boolean");
  is_str(rehearse_field(with, "{\"rehearse\": true, \"disks\": "
                        "[{\"changed_extents\": []}]}", "sync"),
         "ok, rehearse", "a sync pass that asks for a rehearsal");
  is_str(rehearse_field(with, "{\"rehearse\": false, \"disks\": "
                        "[{\"changed_extents\": []}]}", "sync"),
         "ok", "rehearse false");
  is_str(rehearse_field(with, "{\"rehearse\": \"yes\", \"disks\": "
                        "[{\"changed_extents\": []}]}", "sync"),
         "rehearse", "a pass's rehearse not a boolean");
  is_str(rehearse_field(with, "{\"rehearse\": true, \"disks\": "
                        "[{\"changed_extents\": []}]}", "cutover"),
         "rehearse", "no rehearsal on the cutover");
  is_str(rehearse_field(without, "{\"rehearse\": true, \"disks\": "
                        "[{\"changed_extents\": []}]}", "sync"),
         "rehearse", "a job without inplace has nothing to rehearse");
}

static void request_files(void)
{
  char dir[] = "/tmp/test-jobs-sync.XXXXXX";
  _cleanup_free_ char *req_dir = NULL;
  _cleanup_json_ json_object *body = json_tokener_parse("{\"disks\": []}");
  json_object *o;

  if (!mkdtemp(dir))
    abort();
  req_dir = sync_request_dir(dir);
  ok(sync_request_post(dir, "sync", body) < 0 && errno == ENOENT,
     "no requests dir yet: ENOENT");
  mkdir(req_dir, 0700);
  ok(sync_request_take(dir) == NULL && errno == ENOENT, "nothing waiting");
  ok(sync_request_post(dir, "sync", body) == 0, "a sync request");
  ok(!sync_request_cutover_waiting(dir), "a sync waiting is no cutover");
  ok(sync_request_post(dir, "cutover", body) < 0 && errno == EEXIST,
     "a second one while the first waits: EEXIST");
  o = sync_request_take(dir);
  is_str(json_get_string(o, "action"), "sync", "the worker takes it");
  ok(json_get(json_get(o, "body"), "disks") != NULL, "with its body");
  ok(json_get_string(o, "requested_at") != NULL, "and when");
  json_object_put(o);
  ok(!sync_request_cutover_waiting(dir), "nothing waiting: no cutover");
  ok(sync_request_post(dir, "cutover", NULL) == 0, "then a cutover");
  ok(sync_request_cutover_waiting(dir), "a cutover waiting, seen untaken");
  o = sync_request_take(dir);
  is_str(json_get_string(o, "action"), "cutover", "taken");
  json_object_put(o);
  ok(sync_request_post(dir, "sync", NULL) < 0 && errno == EALREADY,
     "nothing after a cutover: EALREADY");
  ok(sync_request_take_digest(dir) == NULL && errno == ENOENT,
     "no digest waiting");
  ok(sync_request_post_digest(dir, body) == 0,
     "a digest for the cutover pass, after it was taken");
  ok(sync_request_post_digest(dir, body) < 0 && errno == EEXIST,
     "a second digest while the first waits: EEXIST");
  o = sync_request_take_digest(dir);
  is_str(json_get_string(o, "action"), "digest", "the worker takes it");
  ok(json_get(json_get(o, "body"), "disks") != NULL, "with its body");
  json_object_put(o);
  ok(sync_request_take_digest(dir) == NULL && errno == ENOENT,
     "taken: gone");
  rm_rf(dir);
}

int main(void)
{
  pass_bodies();
  pass_typed();
  rehearse();
  request_files();
  return tap_done();
}
