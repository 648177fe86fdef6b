/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jobdoc_new(): the first document of a job, its disks taken from the
 * typed request.  Every good request of tests/requests/ gets one entry
 * per disk whose source and destination are the request's own objects
 * (docs/openapi.yaml: "As in the request"); a convert none; an inline
 * password shows as "***"; a request that does not parse, no disks. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/job.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "tap.h"

/* The body with every "@T@" replaced by "/t" (request_load does not
 * look at the files, only at the paths' form). */
static json_object *load(const char *path)
{
  _cleanup_free_ char *raw = NULL;
  struct uch_error err = { 0 };
  size_t len, o = 0;

  if (read_file(path, &raw, &len) < 0)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    if (i + 3 <= len && memcmp(raw + i, "@T@", 3) == 0) {
      raw[o++] = '/', raw[o++] = 't';
      i += 2;
    }
    else
      raw[o++] = raw[i];
  }
  return request_parse(raw, o, &err);
}

static json_object *disk(json_object *doc, size_t i)
{
  return json_object_array_get_idx(json_get(doc, "disks"), i);
}

static size_t n_disks(json_object *o)
{
  json_object *d = json_get(o, "disks");
  return json_object_is_type(d, json_type_array)
         ? json_object_array_length(d) : 0;
}

/* a and b both absent, or equal */
static bool same(json_object *a, json_object *b)
{
  return a == b || (a && b && json_object_equal(a, b));
}

static void check_good(const char *dir, const char *name)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ json_object *req = NULL, *doc = NULL;
  const char *type;
  size_t want;
  bool all = true;

  if (asprintf(&path, "%s/%s", dir, name) < 0)
    exit(1);
  req = load(path);
  doc = req ? jobdoc_new("t", req) : NULL;
  ok(doc, "%s: a document", name);
  if (!doc)
    return;
  type = json_get_string(req, "type");
  is_str(json_get_string(doc, "type"), type, "%s: its type", name);
  want = strcmp(type, "convert") == 0 ? 0 : n_disks(req);
  is_int((long long)n_disks(doc), (long long)want, "%s: one entry a disk",
         name);
  for (size_t i = 0; i < want && i < n_disks(doc); i++) {
    json_object *in = json_object_array_get_idx(json_get(req, "disks"), i);
    all = all && same(json_get(disk(doc, i), "source"), json_get(in, "source")) &&
          same(json_get(disk(doc, i), "destination"),
               json_get(in, "destination")) &&
          json_get(disk(doc, i), "bytes_total");
  }
  ok(all, "%s: each disk's source and destination as in the request",
     name);
  ok(json_get(doc, "request") == req, "%s: the request itself", name);
}

static void check_corpus(const char *top)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *e;
  size_t n = 0;

  if (asprintf(&dir, "%s/tests/requests/good", top) < 0)
    exit(1);
  d = opendir(dir);
  while (d && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
      check_good(dir, e->d_name);
      n++;
    }
  }
  ok(n >= 20, "%zu good requests", n);
}

/* uchd's document is of the sanitised request */
static void check_password(void)
{
  static const char body[] =
    "{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{\"plugin\":"
    "\"curl\",\"url\":\"https://h/d.img\",\"password\":\"hunter2\"}},"
    "\"destination\":{\"path\":\"/var/tmp/o.img\"}}]}";
  struct uch_error err = { 0 };
  struct secrets s = { 0 };
  _cleanup_json_ json_object *req = request_parse(body, strlen(body), &err);
  _cleanup_json_ json_object *san = NULL, *doc = NULL;

  ok(req && request_validate(req, &san, &s, &err) == 0, "inline password: "
     "valid (%s)", err.message);
  doc = san ? jobdoc_new("p", san) : NULL;
  is_str(json_get_string(json_get(json_get(disk(doc, 0), "source"), "nbdkit"),
                         "password"), "***", "inline password: \"***\"");
  ok(!strstr(json_object_to_json_string(doc ? doc : req), "hunter2"),
     "inline password: nowhere in the document");
  secrets_free(&s);
}

static void check_unparsed(void)
{
  static const char bad[] =
    "{\"type\":\"copy\",\"disks\":[{\"source\":{\"path\":\"rel.img\"},"
    "\"destination\":{\"path\":\"/var/tmp/o.img\"}}]}";
  static const char unknown[] = "{\"type\":\"teleport\",\"disks\":[{}]}";
  struct uch_error err = { 0 };
  _cleanup_json_ json_object *r1 = request_parse(bad, strlen(bad), &err);
  _cleanup_json_ json_object *r2 = request_parse(unknown, strlen(unknown),
                                                 &err);
  _cleanup_json_ json_object *d1 = jobdoc_new("b", r1);
  _cleanup_json_ json_object *d2 = jobdoc_new("u", r2);

  is_str(json_get_string(d1, "type"), "copy", "unparsed: a known type kept");
  is_int((long long)n_disks(d1), 0, "unparsed: no disks");
  is_str(json_get_string(d2, "type"), "", "unknown type: none");
  is_int((long long)n_disks(d2), 0, "unknown type: no disks");
  is_str(json_get_string(d2, "state"), "queued", "unparsed: queued");
}

int main(void)
{
  const char *top = getenv("UCH_TOP");

  check_corpus(top ? top : ".");
  check_password();
  check_unparsed();
  return tap_done();
}
