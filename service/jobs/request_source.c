/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SOURCE and DEST objects of a copy request (docs/internals.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs/request_check.h"
#include "util/nbd-uri.h"
#include "volumes/volumes.h"

int check_nbd_uri(struct rq_ctx *c, const char *uri, const char *field)
{
  struct uch_nbd_uri u;
  char why[128], pf[FIELD_MAX + 16];
  int ret = uch_nbd_uri_parse(uri, &u, why, sizeof why);
  const char *psk;

  if (ret < 0) {
    uch_nbd_uri_free(&u);
    return rq_fail(c, field, "must be an NBD URI (%s): "
                   "nbd://HOST[:PORT][/EXPORT], nbds://…, "
                   "nbd+unix:///[EXPORT]?socket=/PATH or nbds+unix://…",
                   why);
  }
  /* the socket the client connects to (what it reads), and a file it
   * reads as root, a secret file like any other: each asked about as
   * FIELD?PARAM */
  psk = uch_nbd_uri_param(&u, "tls-psk-file");
  ret = 0;
  if (u.socket) {
    snprintf(pf, sizeof pf, "%s?socket", field);
    ret = rq_path_allowed(c, pf, u.socket);
  }
  if (ret == 0 && psk) {
    snprintf(pf, sizeof pf, "%s?tls-psk-file", field);
    ret = rq_path_allowed(c, pf, psk);
  }
  uch_nbd_uri_free(&u);
  return ret;
}

static int get_nbd_uri(struct rq_ctx *c, json_object *o, const char *parent,
                       const char *key)
{
  char f[FIELD_MAX];
  const char *uri = NULL;

  if (get_string(c, o, parent, key, true, &uri) < 0)
    return -1;
  field_key(f, parent, key);
  return check_nbd_uri(c, uri, f);
}

/* A disk image to read: must exist now, as a file or block device. */
int check_image_path(struct rq_ctx *c, json_object *o, const char *parent,
                     const char *key)
{
  char f[FIELD_MAX];
  const char *path = NULL;
  struct stat st;

  if (get_abs_path(c, o, parent, key, true, &path) < 0)
    return -1;
  field_key(f, parent, key);
  if (c->accepted)
    return 0;
  if (stat(path, &st) < 0)
    return rq_fail(c, f, "%s: %m", path);
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
    return rq_fail(c, f, "%s is not a regular file or block device", path);
  return 0;
}

/* {"volume": ID, "wait_s"?: N}: an attached block device, found by uch-job
 * (service/volumes); wait_s bounds the wait for one still attaching. */
int parse_volume(struct rq_ctx *c, json_object *o, const char *field,
                 struct rq_volume *out)
{
  out->id = NULL;
  out->wait_s = 0;
  if (get_name(c, o, field, "volume", true, &out->id) < 0 ||
      get_int(c, o, field, "wait_s", false, 0, VOLUME_WAIT_MAX,
              &out->wait_s) < 0)
    return -1;
  return 0;
}

int check_volume(struct rq_ctx *c, json_object *o, const char *field)
{
  struct rq_volume v;
  return parse_volume(c, o, field, &v);
}

static bool has(json_object *o, const char *key)
{
  json_object *v = NULL;
  return json_object_object_get_ex(o, key, &v) && v;
}

int parse_source(struct rq_ctx *c, json_object *source, const char *field,
                 struct rq_source *out)
{
  static const char *const kinds[] = { "nbd", "path", "nbdkit", "volume",
                                       "wait_s", NULL };
  json_object *nbdkit = NULL;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  out->json = source;
  if (check_known_keys(c, source, field, kinds) < 0)
    return -1;
  if (has(source, "volume")) {
    out->kind = SOURCE_VOLUME;
    return json_object_object_length(source) > (has(source, "wait_s") ? 2 : 1)
      ? rq_fail(c, field, "must have exactly one of \"nbd\", \"path\", "
                "\"nbdkit\" or \"volume\"")
      : parse_volume(c, source, field, &out->volume);
  }
  if (has(source, "wait_s")) {
    field_key(f, field, "wait_s");
    return rq_fail(c, f, "only goes with \"volume\"");
  }
  if (json_object_object_length(source) != 1)
    return rq_fail(c, field, "must have exactly one of \"nbd\", \"path\", "
                   "\"nbdkit\" or \"volume\"");
  if (json_object_object_get_ex(source, "nbd", NULL)) {
    out->kind = SOURCE_NBD;
    if (get_nbd_uri(c, source, field, "nbd") < 0)
      return -1;
    out->nbd = json_object_get_string(json_object_object_get(source, "nbd"));
    return 0;
  }
  if (json_object_object_get_ex(source, "path", NULL)) {
    out->kind = SOURCE_PATH;
    return check_image_path(c, source, field, "path") < 0 ||
           get_abs_path(c, source, field, "path", true, &out->path) < 0
           ? -1 : 0;
  }
  out->kind = SOURCE_NBDKIT;
  if (get_object(c, source, field, "nbdkit", true, &nbdkit) < 0)
    return -1;
  field_key(f, field, "nbdkit");
  return parse_nbdkit(c, nbdkit, f, &out->nbdkit);
}

int parse_destination(struct rq_ctx *c, json_object *dest, const char *field,
                      struct rq_destination *out)
{
  static const char *const keys[] = { "path", "volume", "wait_s", "format",
                                      "is_zero", NULL };
  static const char *const formats[] = { "raw", "qcow2", NULL };
  static const char *const raw_only[] = { "raw", NULL };
  const char *format = NULL;
  char f[FIELD_MAX];

  memset(out, 0, sizeof *out);
  out->json = dest;
  if (check_known_keys(c, dest, field, keys) < 0)
    return -1;
  if (has(dest, "path") && has(dest, "volume"))
    return rq_fail(c, field, "must have exactly one of \"path\" or "
                   "\"volume\"");
  if (has(dest, "volume")) {
    /* a volume is a block device: written as it is, raw */
    if (parse_volume(c, dest, field, &out->volume) < 0 ||
        get_enum(c, dest, field, "format", false, raw_only, &format) < 0)
      return -1;
  } else if (has(dest, "wait_s")) {
    field_key(f, field, "wait_s");
    return rq_fail(c, f, "only goes with \"volume\"");
  } else if (get_abs_path(c, dest, field, "path", true, &out->path) < 0 ||
             get_enum(c, dest, field, "format", false, formats, &format) < 0)
    return -1;
  out->format = format && strcmp(format, "qcow2") == 0 ? FORMAT_QCOW2
                                                       : FORMAT_RAW;
  return get_bool(c, dest, field, "is_zero", false, &out->is_zero);
}
