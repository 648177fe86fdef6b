/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/http.h"

static enum MHD_Result queue(struct http_request *r, unsigned code,
                             struct MHD_Response *resp)
{
  enum MHD_Result ret;

  if (!resp)
    return MHD_NO;
  if (code < HTTP_CODES)
    r->d->http_responses[code]++;
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED && r->route.allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->route.allow);
  if (code == MHD_HTTP_UNAUTHORIZED)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Bearer realm=\"uch\"");
  ret = MHD_queue_response(r->conn, code, resp);
  MHD_destroy_response(resp);
  return ret;
}

enum MHD_Result http_text(struct http_request *r, unsigned code,
                          const char *content_type, const char *data,
                          size_t len, const char *hdr, const char *hdr_value)
{
  struct MHD_Response *resp =
    MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);

  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (hdr)
    MHD_add_response_header(resp, hdr, hdr_value);
  return queue(r, code, resp);
}

enum MHD_Result http_file(struct http_request *r, const char *content_type,
                          int fd, unsigned long long offset,
                          unsigned long long len, const char *hdr,
                          const char *hdr_value)
{
  struct MHD_Response *resp =
    MHD_create_response_from_fd_at_offset64(len, fd, offset);

  if (!resp) {
    close(fd);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (hdr)
    MHD_add_response_header(resp, hdr, hdr_value);
  return queue(r, MHD_HTTP_OK, resp);
}

enum MHD_Result http_json(struct http_request *r, unsigned code,
                          json_object *o)
{
  size_t len;
  const char *s = json_object_to_json_string_length(
    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  return http_text(r, code, "application/json", s, len, NULL, NULL);
}

enum MHD_Result http_error(struct http_request *r, unsigned code,
                           const char *err_code, const char *field,
                           const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);

  json_object *o = json_object_new_object(), *e = json_object_new_object();
  json_object_object_add(e, "code", json_object_new_string(err_code));
  json_object_object_add(e, "message", json_object_new_string(msg));
  json_object_object_add(e, "field",
                         field && *field ? json_object_new_string(field)
                                         : NULL);
  json_object_object_add(o, "error", e);
  enum MHD_Result ret = http_json(r, code, o);
  json_object_put(o);
  return ret;
}

const char *http_query(struct http_request *r, const char *key)
{
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}
