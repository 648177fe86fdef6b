/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Request validation entry points: parsing the body, dispatching on
 * "type", the fields every type shares, and the sanitised copy. */
#include <stdlib.h>
#include <string.h>

#include "jobs/job-request.h"
#include "jobs/job-types.h"
#include "jobs/job.h"
#include "jobs/request.h"
#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* Deeper than any valid request (which nests 5 levels), shallow enough
 * that hostile input cannot exhaust the stack. */
#define REQUEST_MAX_DEPTH 32

static void tokener_freep(json_tokener **t)
{
  if (*t)
    json_tokener_free(*t);
}

/* Where the first JSON value in body ends, or 0 when there is none;
 * only to tell "data after the object" from other syntax errors, which
 * strict parsing reports alike. */
static size_t first_value_end(const char *body, size_t len)
{
  _cleanup_(tokener_freep) json_tokener *tok =
    json_tokener_new_ex(REQUEST_MAX_DEPTH);
  _cleanup_json_ json_object *o = NULL;

  if (!tok)
    return 0;
  o = json_tokener_parse_ex(tok, body, (int)len);
  return o ? json_tokener_get_parse_end(tok) : 0;
}

/* `at`: the byte where parsing stopped. */
static void syntax_error(const char *body, size_t len, json_tokener *tok,
                         size_t at, struct uch_error *err)
{
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t value_end;

  if (jerr == json_tokener_continue || jerr == json_tokener_success)
    uch_error_set(err, "invalid_request", "",
                  "request body is not valid JSON: it ends early "
                  "(after %zu bytes)", len);
  else if (jerr == json_tokener_error_depth)
    uch_error_set(err, "invalid_request", "",
                  "request body is not valid JSON: nested deeper than "
                  "%d levels at byte %zu", REQUEST_MAX_DEPTH, at);
  else if ((value_end = first_value_end(body, len)) > 0 && value_end <= at)
    uch_error_set(err, "invalid_request", "",
                  "request body has data after the JSON object, at byte "
                  "%zu", at);
  else
    uch_error_set(err, "invalid_request", "",
                  "request body is not valid JSON: %s at byte %zu",
                  json_tokener_error_desc(jerr), at);
}

json_object *request_parse(const char *body, size_t len,
                           struct uch_error *err)
{
  _cleanup_(tokener_freep) json_tokener *tok = NULL;
  _cleanup_json_ json_object *o = NULL;
  size_t end;

  if (len == 0) {
    uch_error_set(err, "invalid_request", "",
                  "request body is empty: send a JSON object");
    return NULL;
  }
  if (len > INT32_MAX) {
    uch_error_set(err, "invalid_request", "", "request body is too large");
    return NULL;
  }
  tok = json_tokener_new_ex(REQUEST_MAX_DEPTH);
  if (!tok) {
    uch_error_set(err, "internal", "", "out of memory");
    return NULL;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                              JSON_TOKENER_VALIDATE_UTF8);
  o = json_tokener_parse_ex(tok, body, (int)len);
  end = json_tokener_get_parse_end(tok);
  /* A bare value at the end (a number, "tru") is only complete, or
   * wrong, once something follows it. */
  if (!o && json_tokener_get_error(tok) == json_tokener_continue) {
    o = json_tokener_parse_ex(tok, " ", 1);
    end = len;
  }
  if (!o) {
    syntax_error(body, len, tok, end, err);
    return NULL;
  }
  /* Strict parsing stops at the end of the value; the rest may only be
   * white space. */
  while (end < len && body[end] != '\0' && strchr(" \t\r\n", body[end]))
    end++;
  if (end != len) {
    uch_error_set(err, "invalid_request", "",
                  "request body has data after the JSON object, at byte "
                  "%zu", end);
    return NULL;
  }
  if (!json_object_is_type(o, json_type_object)) {
    uch_error_set(err, "invalid_request", "",
                  "request body must be a JSON object, not %s",
                  json_type_to_name(json_object_get_type(o)));
    return NULL;
  }
  return steal_ptr(o);
}

int check_labels(struct rq_ctx *c, json_object *req)
{
  json_object *labels = NULL;
  char f[FIELD_MAX];

  if (get_object(c, req, "", "labels", false, &labels) < 0)
    return -1;
  if (!labels)
    return 0;
  if (json_object_object_length(labels) > 64)
    return rq_fail(c, "labels", "at most 64 labels");
  json_object_object_foreach(labels, key, val) {
    const char *s;
    field_key(f, "labels", key);
    if (*key == '\0' || strlen(key) > 64)
      return rq_fail(c, "labels", "label names must be 1 to 64 bytes");
    if (!json_object_is_type(val, json_type_string))
      return rq_fail(c, f, "must be a string");
    s = json_object_get_string(val);
    if (strlen(s) != (size_t)json_object_get_string_len(val))
      return rq_fail(c, f, "must not contain a NUL byte");
    if (strlen(s) > 1024)
      return rq_fail(c, f, "is longer than 1024 bytes");
  }
  return 0;
}

static int check_type(struct rq_ctx *c, json_object *req, const char **type)
{
  json_object *v;

  if (!json_object_object_get_ex(req, "type", &v) || !v)
    return rq_fail(c, "type", "is required (\"copy\", \"export\", \"convert\" or \"inplace\")");
  if (!json_object_is_type(v, json_type_string))
    return rq_fail(c, "type", "must be a string (\"copy\", \"export\", \"convert\" or \"inplace\")");
  *type = json_object_get_string(v);
  if (strlen(*type) != (size_t)json_object_get_string_len(v) ||
      !job_type_find(*type))
    return rq_fail(c, "type", "\"%.64s\" is not supported by this version "
                   "(supported: copy, export, convert, inplace, inspect, "
                   "sync, digest)", *type);
  return 0;
}

/* Inline passwords become "***"; nothing else changes. */
static void sanitize(json_object *copy)
{
  json_object *disks = json_get(copy, "disks");
  size_t n;

  if (!disks || !json_object_is_type(disks, json_type_array))
    return;
  n = json_object_array_length(disks);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(disks, i);
    json_object *nbdkit = json_get(json_get(d, "source"), "nbdkit");
    if (json_get(nbdkit, "password"))
      json_object_object_add(nbdkit, "password",
                             json_object_new_string("***"));
  }
}

void job_request_free(struct job_request *r)
{
  if (!r)
    return;
  rq_owned_free(&r->owned);
  json_object_put(r->json);
  free(r);
}

/* type, id, labels, then the type's own parse into a new *out */
static int parse_request(struct rq_ctx *c, json_object *req,
                         struct job_request **out)
{
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  const struct job_type *t;
  const char *type = NULL, *id = NULL;

  *out = NULL;
  if (!req || !json_object_is_type(req, json_type_object))
    return rq_fail(c, "", "request must be a JSON object");
  if (check_type(c, req, &type) < 0 ||
      get_name(c, req, "", "id", false, &id) < 0 ||
      check_labels(c, req) < 0)
    return -1;
  if (!(r = calloc(1, sizeof *r))) {
    uch_error_set(c->err, "internal", "", "out of memory");
    return -1;
  }
  t = job_type_find(type);
  c->kind = t->kind;
  r->kind = t->kind;
  r->id = id;
  r->json = json_object_get(req);
  if (t->parse(c, req, r) < 0)
    return -1;
  *out = steal_ptr(r);
  return 0;
}

int request_load(json_object *req, struct job_request **out,
                 struct uch_error *err)
{
  struct rq_ctx c = { .err = err, .accepted = true };

  return parse_request(&c, req, out);
}

int request_validate(json_object *req, json_object **sanitized,
                     struct secrets *secrets, struct uch_error *err)
{
  return request_validate_paths(req, sanitized, secrets, NULL, NULL, err);
}

int request_validate_paths(json_object *req, json_object **sanitized,
                           struct secrets *secrets, request_path_fn *fn,
                           void *opaque, struct uch_error *err)
{
  struct secrets found = { 0 };
  struct rq_ctx c = { .err = err, .secrets = &found, .path_fn = fn,
                      .path_opaque = opaque };
  _cleanup_(job_request_freep) struct job_request *typed = NULL;
  json_object *copy = NULL;

  *sanitized = NULL;
  if (parse_request(&c, req, &typed) < 0)
    goto fail;

  if (json_object_deep_copy(req, &copy, NULL) < 0) {
    uch_error_set(err, "internal", "", "out of memory");
    goto fail;
  }
  sanitize(copy);
  for (size_t i = 0; i < found.n; i++)
    if (secrets_add(secrets, found.v[i].field, found.v[i].value,
                    found.v[i].len) < 0) {
      uch_error_set(err, "internal", "", "out of memory");
      json_object_put(copy);
      goto fail;
    }
  secrets_free(&found);
  *sanitized = copy;
  return 0;

fail:
  secrets_free(&found);
  return -1;
}
