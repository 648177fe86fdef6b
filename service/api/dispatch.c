/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libmicrohttpd access handler: auth, routing and body limits on the
 * first call (so a bad request is answered before its body is read),
 * then the body, then the route's handler. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/auth.h"
#include "api/http.h"

static bool is_json(const char *content_type)
{
  static const char json[] = "application/json";
  if (!content_type || strncasecmp(content_type, json, sizeof json - 1) != 0)
    return false;
  char after = content_type[sizeof json - 1];
  return after == '\0' || after == ';' || after == ' ';
}

struct framing {
  unsigned n_length, n_encoding;
  bool length_bad, encoding_bad;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
  struct framing *f = cls;

  (void)kind;
  if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    f->n_length++;
    if (!value || !*value || value[strspn(value, "0123456789")] != '\0')
      f->length_bad = true;
  } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
    f->n_encoding++;
    if (!value || strcasecmp(value, "chunked") != 0)
      f->encoding_bad = true;
  }
  return MHD_YES;
}

/* Request smuggling: a body's length is told one way only.  Both
 * Content-Length and Transfer-Encoding, two of either, a Content-Length
 * that is not a number or a Transfer-Encoding other than "chunked" is
 * 400 (libmicrohttpd 0.9.75 would take Transfer-Encoding and ignore the
 * rest, or the first Content-Length); the connection is then closed. */
static const char *framing_refusal(struct MHD_Connection *conn)
{
  struct framing f = { 0 };

  MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
  if (f.n_length && f.n_encoding)
    return "both Content-Length and Transfer-Encoding";
  if (f.n_length > 1)
    return "more than one Content-Length";
  if (f.n_encoding > 1)
    return "more than one Transfer-Encoding";
  if (f.length_bad)
    return "a Content-Length that is not a number";
  if (f.encoding_bad)
    return "a Transfer-Encoding other than chunked";
  return NULL;
}

/* The checks made before any of the body is read; MHD_YES with nothing
 * queued means "go on". */
static enum MHD_Result first_call(struct http_request *r, bool *answered)
{
  const char *framing = framing_refusal(r->conn);

  *answered = true;
  if (framing)
    return http_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request", NULL,
                      "the request has %s: its body's length must be told "
                      "one way only", framing);
  if (!r->is_unix && r->route.route != ROUTE_HEALTH &&
      !auth_header_ok(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_AUTHORIZATION),
                      r->d->token))
    return http_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized", NULL,
                      "this listener needs 'Authorization: Bearer TOKEN' "
                      "(the token is in %s)", r->d->cfg.token_file);
  if (r->route.route == ROUTE_NOT_FOUND)
    return http_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                      "no such resource: %s", r->url);
  if (r->route.route == ROUTE_METHOD_NOT_ALLOWED)
    return http_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                      NULL, "%s is not allowed on %s (allowed: %s)",
                      r->method, r->url, r->route.allow);
  if (route_has_body(r->route.route)) {
    const char *ct = MHD_lookup_connection_value(
      r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *cl = MHD_lookup_connection_value(
      r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    bool no_body = !ct && (!cl || strtoull(cl, NULL, 10) == 0);
    if (!is_json(ct) && !(no_body && route_body_optional(r->route.route)))
      return http_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type", NULL,
                        "the body must be application/json, not %s",
                        ct ? ct : "(no Content-Type)");
    if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
      return http_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", NULL,
                        "the body is over the limit of %d bytes",
                        HTTP_BODY_MAX);
  }
  *answered = false;
  return MHD_YES;
}

static void take_body(struct http_request *r, const char *data, size_t n)
{
  if (r->too_large)
    return;
  if (r->len + n > HTTP_BODY_MAX) {
    /* stop keeping it; the answer is 413 once the upload ends */
    r->too_large = true;
    free(r->body);
    r->body = NULL;
    r->len = 0;
    return;
  }
  char *b = realloc(r->body, r->len + n + 1);
  if (!b) {
    r->too_large = true;
    return;
  }
  memcpy(b + r->len, data, n);
  r->len += n;
  b[r->len] = '\0';
  r->body = b;
}

static enum MHD_Result handle(struct http_request *r)
{
  switch (r->route.route) {
  case ROUTE_HEALTH: return api_health(r);
  case ROUTE_METRICS: return api_metrics(r);
  case ROUTE_JOBS_LIST: return api_jobs_list(r);
  case ROUTE_JOBS_SUBMIT: return api_jobs_submit(r);
  case ROUTE_JOB_GET: return api_job_get(r);
  case ROUTE_JOB_DELETE: return api_job_delete(r);
  case ROUTE_JOB_CANCEL: return api_job_cancel(r);
  case ROUTE_JOB_LOG: return api_job_log(r);
  case ROUTE_VOLUMES_LIST: return api_volumes_list(r);
  case ROUTE_JOB_PATCH: return api_job_patch(r);
  case ROUTE_JOB_SYNC: return api_job_pass(r, "sync");
  case ROUTE_JOB_CUTOVER: return api_job_pass(r, "cutover");
  case ROUTE_JOB_DIGEST: return api_job_digest(r);
  default: break;
  }
  return http_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
                    "no such resource: %s", r->url);
}

enum MHD_Result api_access(void *cls, struct MHD_Connection *conn,
                           const char *url, const char *method,
                           const char *version __attribute__((unused)),
                           const char *upload_data, size_t *upload_data_size,
                           void **con_cls)
{
  struct api_listener_info *li = cls;
  struct http_request *r = *con_cls;

  if (!r) {
    bool answered;
    r = calloc(1, sizeof *r);
    if (!r)
      return MHD_NO;
    r->d = li->d;
    r->li = li;
    r->is_unix = li->is_unix;
    r->conn = conn;
    r->method = method;
    r->url = url;
    route_match(method, url, &r->route);
    *con_cls = r;
    enum MHD_Result ret = first_call(r, &answered);
    if (answered || ret == MHD_NO)
      return ret;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    take_body(r, upload_data, *upload_data_size);
    if (r->too_large)
      r->discarded += *upload_data_size;
    *upload_data_size = 0;
    /* libmicrohttpd cannot answer in the middle of a body: a chunked
     * upload over the limit is read and dropped, up to a point, so the
     * client still gets its 413; past that point it is cut off. */
    return r->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
  }
  if (r->too_large)
    return http_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", NULL,
                      "the body is over the limit of %d bytes",
                      HTTP_BODY_MAX);
  return handle(r);
}

void api_completed(void *cls __attribute__((unused)),
                   struct MHD_Connection *conn __attribute__((unused)),
                   void **con_cls,
                   enum MHD_RequestTerminationCode toe __attribute__((unused)))
{
  struct http_request *r = *con_cls;
  if (r) {
    api_wait_free(r);
    free(r->body);
    free(r);
    *con_cls = NULL;
  }
}
