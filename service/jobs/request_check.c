/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Typed field checkers for request validation; see request_check.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs/request_check.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/hostport.h"

/* Passwords and PSKs are short; a bigger file was named by mistake. */
#define SECRET_FILE_MAX 65536

void field_key(char out[FIELD_MAX], const char *parent, const char *key)
{
  if (parent && *parent)
    snprintf(out, FIELD_MAX, "%s.%s", parent, key);
  else
    snprintf(out, FIELD_MAX, "%s", key);
}

void field_index(char out[FIELD_MAX], const char *parent, size_t i)
{
  snprintf(out, FIELD_MAX, "%s[%zu]", parent, i);
}

int rq_fail(struct rq_ctx *c, const char *field, const char *fmt, ...)
{
  char words[384];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(words, sizeof words, fmt, ap);
  va_end(ap);
  uch_error_set(c->err, "invalid_request", field, "%s", words);
  return -1;
}

static bool in_list(const char *s, const char *const *list)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp(s, list[i]) == 0)
      return true;
  return false;
}

/* "a, b, c" for messages that list what is allowed. */
static void list_join(char *out, size_t size, const char *const *list)
{
  size_t used = 0;

  out[0] = '\0';
  for (size_t i = 0; list[i] && used < size; i++) {
    int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", list[i]);
    if (n < 0)
      break;
    used += (size_t)n;
  }
}

int check_known_keys(struct rq_ctx *c, json_object *o, const char *field,
                     const char *const *allowed)
{
  char f[FIELD_MAX], known[256];

  json_object_object_foreach(o, key, val) {
    (void)val;
    if (!in_list(key, allowed)) {
      field_key(f, field, key);
      list_join(known, sizeof known, allowed);
      return rq_fail(c, f, "unknown field (allowed here: %s)", known);
    }
  }
  return 0;
}

/* Looks `key` up; 0 and *v NULL when absent and optional. */
static int lookup(struct rq_ctx *c, json_object *o, const char *parent,
                  const char *key, bool required, char f[FIELD_MAX],
                  json_object **v)
{
  field_key(f, parent, key);
  *v = NULL;
  if (!json_object_object_get_ex(o, key, v) || !*v) {
    *v = NULL;
    /* An explicit null is as good as absent for optional fields. */
    if (required)
      return rq_fail(c, f, "is required");
  }
  return 0;
}

int get_object(struct rq_ctx *c, json_object *o, const char *parent,
               const char *key, bool required, json_object **out)
{
  char f[FIELD_MAX];
  json_object *v;

  if (lookup(c, o, parent, key, required, f, &v) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_object))
    return rq_fail(c, f, "must be an object");
  *out = v;
  return 0;
}

int get_array(struct rq_ctx *c, json_object *o, const char *parent,
              const char *key, bool required, json_object **out)
{
  char f[FIELD_MAX];
  json_object *v;

  if (lookup(c, o, parent, key, required, f, &v) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_array))
    return rq_fail(c, f, "must be an array");
  *out = v;
  return 0;
}

int get_string(struct rq_ctx *c, json_object *o, const char *parent,
               const char *key, bool required, const char **out)
{
  char f[FIELD_MAX];
  json_object *v;
  const char *s;

  if (lookup(c, o, parent, key, required, f, &v) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_string))
    return rq_fail(c, f, "must be a string");
  s = json_object_get_string(v);
  if (*s == '\0')
    return rq_fail(c, f, "must not be empty");
  /* Strings end up in command lines and file names: a NUL would cut them
   * short without anyone noticing. */
  if (strlen(s) != (size_t)json_object_get_string_len(v))
    return rq_fail(c, f, "must not contain a NUL byte");
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return rq_fail(c, f, "must not contain control characters");
  *out = s;
  return 0;
}

int get_bool(struct rq_ctx *c, json_object *o, const char *parent,
             const char *key, bool required, bool *out)
{
  char f[FIELD_MAX];
  json_object *v;

  if (lookup(c, o, parent, key, required, f, &v) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_boolean))
    return rq_fail(c, f, "must be true or false");
  *out = json_object_get_boolean(v);
  return 0;
}

int get_int(struct rq_ctx *c, json_object *o, const char *parent,
            const char *key, bool required, int64_t min, int64_t max,
            int64_t *out)
{
  char f[FIELD_MAX];
  json_object *v;
  int64_t n;

  if (lookup(c, o, parent, key, required, f, &v) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_int))
    return rq_fail(c, f, "must be an integer");
  errno = 0;
  n = json_object_get_int64(v);
  /* json-c saturates out-of-range numbers and says so in errno. */
  if (errno == ERANGE || n < min || n > max)
    return rq_fail(c, f, "must be between %" PRId64 " and %" PRId64,
                   min, max);
  *out = n;
  return 0;
}

int get_abs_path(struct rq_ctx *c, json_object *o, const char *parent,
                 const char *key, bool required, const char **out)
{
  char f[FIELD_MAX];
  const char *s = NULL;

  if (get_string(c, o, parent, key, required, &s) < 0)
    return -1;
  if (!s)
    return 0;
  field_key(f, parent, key);
  if (s[0] != '/')
    return rq_fail(c, f, "must be an absolute path (starting with /)");
  if (strlen(s) > 4095)
    return rq_fail(c, f, "is longer than 4095 bytes");
  /* ".." would let a request walk out of a directory it was checked in. */
  for (const char *p = s; (p = strstr(p, "..")); p += 2)
    if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
      return rq_fail(c, f, "must not contain \"..\" components");
  if (rq_path_allowed(c, f, s) < 0)
    return -1;
  *out = s;
  return 0;
}

int rq_path_allowed(struct rq_ctx *c, const char *field, const char *path)
{
  if (!c->path_fn || c->accepted)
    return 0;
  return c->path_fn(c->path_opaque, c->kind, field, path, c->err) ? -1 : 0;
}

int get_name(struct rq_ctx *c, json_object *o, const char *parent,
             const char *key, bool required, const char **out)
{
  char f[FIELD_MAX];
  json_object *v;
  const char *s;
  size_t n;

  if (lookup(c, o, parent, key, required, f, &v) < 0)
    return -1;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_string))
    return rq_fail(c, f, "must be a string");
  s = json_object_get_string(v);
  n = (size_t)json_object_get_string_len(v);
  if (n < 1 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
      strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789._-") != n)
    return rq_fail(c, f, "must be 1 to 64 of A-Z a-z 0-9 . _ - "
                   "(and not \".\" or \"..\")");
  *out = s;
  return 0;
}

int get_enum(struct rq_ctx *c, json_object *o, const char *parent,
             const char *key, bool required, const char *const *choices,
             const char **out)
{
  char f[FIELD_MAX], known[256];
  const char *s = NULL;

  if (get_string(c, o, parent, key, required, &s) < 0)
    return -1;
  if (!s)
    return 0;
  if (!in_list(s, choices)) {
    field_key(f, parent, key);
    list_join(known, sizeof known, choices);
    return rq_fail(c, f, "must be one of: %s", known);
  }
  *out = s;
  return 0;
}

bool host_valid(const char *host)
{
  size_t n = strlen(host);

  if (n == 0 || n > 253)
    return false;
  if (host[0] == '[')
    return n > 2 && host[n - 1] == ']' &&
           strspn(host + 1, "0123456789abcdefABCDEF:.") == n - 2;
  if (host[0] == '-' || host[0] == '.')
    return false;
  return strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789.-") == n;
}

bool host_port_valid(const char *s)
{
  _cleanup_free_ char *host = NULL, *port = NULL;

  if (host_port_split(s, &host, &port) < 0)
    return false;
  /* the split removed an IPv6 address's brackets */
  if (strchr(host, ':'))
    return strspn(host, "0123456789abcdefABCDEF:.") == strlen(host);
  return host_valid(host);
}

int take_inline_secret(struct rq_ctx *c, const char *field,
                       const char *value)
{
  if (c->accepted)
    return 0;
  if (secrets_add(c->secrets, field, value, strlen(value)) < 0)
    return rq_fail(c, field, "cannot keep the secret: %m");
  return 0;
}

int take_file_secret(struct rq_ctx *c, const char *path_field,
                     const char *path, const char *secret_field)
{
  char *data = NULL;
  struct stat st;
  size_t len;
  int r;

  if (c->accepted)
    return 0;
  if (check_private_file(path) < 0) {
    if (private_file_rule(errno))
      return rq_fail(c, path_field, "%s %s", path, private_file_rule(errno));
    return rq_fail(c, path_field, "%s: %m", path);
  }
  if (stat(path, &st) == 0 && st.st_size > SECRET_FILE_MAX)
    return rq_fail(c, path_field, "%s is larger than %d bytes: not a "
                   "password or key", path, SECRET_FILE_MAX);
  if (read_file(path, &data, &len) < 0)
    return rq_fail(c, path_field, "cannot read %s: %m", path);
  if (len == 0) {
    free(data);
    return rq_fail(c, path_field, "%s is empty", path);
  }
  r = secrets_add(c->secrets, secret_field, data, len);
  explicit_bzero(data, len);
  free(data);
  if (r < 0)
    return rq_fail(c, path_field, "cannot keep the secret: %m");
  return 0;
}

int get_disks(struct rq_ctx *c, json_object *req, json_object **disks,
              size_t *n)
{
  char f[FIELD_MAX];

  if (get_array(c, req, "", "disks", true, disks) < 0)
    return -1;
  *n = json_object_array_length(*disks);
  if (*n < 1 || *n > REQUEST_MAX_DISKS)
    return rq_fail(c, "disks", "must list 1 to %d disks, not %zu",
                   REQUEST_MAX_DISKS, *n);
  for (size_t i = 0; i < *n; i++)
    if (!json_object_is_type(json_object_array_get_idx(*disks, i),
                             json_type_object)) {
      field_index(f, "disks", i);
      return rq_fail(c, f, "must be an object");
    }
  return 0;
}
