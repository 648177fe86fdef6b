/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"

json_object *json_read_path(const char *path)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  json_tokener *tok;
  json_object *o;

  if (read_file(path, &data, &len) < 0)
    return NULL;
  tok = json_tokener_new();
  if (!tok)
    return NULL;
  o = json_tokener_parse_ex(tok, data, (int)len);
  size_t end = json_tokener_get_parse_end(tok);
  while (o && end < len && strchr(" \t\r\n", data[end]))
    end++;
  if (o && end != len) {
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  if (!o)
    errno = EINVAL;
  return o;
}

int json_write_path(const char *path, json_object *o, int mode)
{
  size_t len;
  const char *s = json_object_to_json_string_length(
    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  _cleanup_free_ char *buf = malloc(len + 1);

  if (!buf)
    return -1;
  memcpy(buf, s, len);
  buf[len] = '\n';
  return write_file_atomic(path, buf, len + 1, mode);
}

json_object *json_get(json_object *o, const char *key)
{
  json_object *v;
  if (!o || !json_object_is_type(o, json_type_object))
    return NULL;
  return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *json_get_string(json_object *o, const char *key)
{
  json_object *v = json_get(o, key);
  if (!v || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}
