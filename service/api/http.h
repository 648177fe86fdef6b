/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One HTTP request as the handlers see it, and the ways to answer it.
 * Every answer is JSON except logs and metrics. */
#ifndef UCH_API_HTTP_H
#define UCH_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>
#include <json-c/json.h>

#include "api/router.h"
#include "uchd/uchd.h"

#define HTTP_BODY_MAX (1024 * 1024)
/* how much of a too large chunked body is read (and dropped) before the
 * connection is closed instead of answered */
#define HTTP_DISCARD_MAX (16 * 1024 * 1024)

struct api_listener_info;

struct http_request {
  struct uchd *d;
  struct api_listener_info *li;   /* the listener it came on */
  struct MHD_Connection *conn;
  const char *method;
  const char *url;
  struct route_match route;
  bool is_unix;
  char *body;
  size_t len;
  bool too_large;
  size_t discarded;
  struct api_wait *wait;   /* a long poll's, once it started (job-wait) */
};

enum MHD_Result http_json(struct http_request *r, unsigned code,
                          json_object *o);
enum MHD_Result http_error(struct http_request *r, unsigned code,
                           const char *err_code, const char *field,
                           const char *fmt, ...)
  __attribute__((format(printf, 5, 6)));
/* `data` is copied; `hdr`/`hdr_value` an optional extra header. */
enum MHD_Result http_text(struct http_request *r, unsigned code,
                          const char *content_type, const char *data,
                          size_t len, const char *hdr, const char *hdr_value);
/* 200 with `len` bytes of `fd` from `offset`, streamed; takes the fd. */
enum MHD_Result http_file(struct http_request *r, const char *content_type,
                          int fd, unsigned long long offset,
                          unsigned long long len, const char *hdr,
                          const char *hdr_value);
const char *http_query(struct http_request *r, const char *key);

/* The job named by the route's {id}, refreshed; NULL when unknown. */
struct job *api_find_job(struct http_request *r);
enum MHD_Result api_not_found(struct http_request *r);

/* GET /v1/jobs/{id}?wait_s=N: suspends the connection until `j` is
 * what q->until waits for or wait_s have passed; MHD then calls the
 * handler again (r->wait set), which answers.  MHD_NO when it cannot. */
struct wait_query;
enum MHD_Result api_wait_start(struct http_request *r, struct job *j,
                               const struct wait_query *q);
/* api_completed: a connection that ends while suspended or after */
void api_wait_free(struct http_request *r);

/* Handlers, one per route. */
enum MHD_Result api_health(struct http_request *r);
enum MHD_Result api_metrics(struct http_request *r);
enum MHD_Result api_jobs_list(struct http_request *r);
enum MHD_Result api_jobs_submit(struct http_request *r);
enum MHD_Result api_job_get(struct http_request *r);
enum MHD_Result api_job_delete(struct http_request *r);
enum MHD_Result api_job_cancel(struct http_request *r);
enum MHD_Result api_job_log(struct http_request *r);
enum MHD_Result api_volumes_list(struct http_request *r);
enum MHD_Result api_job_patch(struct http_request *r);
/* POST /v1/jobs/{id}/sync and /cutover; action "sync" or "cutover". */
enum MHD_Result api_job_pass(struct http_request *r, const char *action);
/* POST /v1/jobs/{id}/digest: the source's digest a verified pass of a
 * running sync job waits for (api/jobs-sync.c). */
enum MHD_Result api_job_digest(struct http_request *r);

/* The libmicrohttpd callbacks; cls is the listener's struct uchd and
 * whether it is the Unix socket (see listen.c). */
struct api_listener_info {
  struct uchd *d;
  bool is_unix;
  /* Has the listener run MHD soon, from the event loop: with external
   * polling a resumed connection is served only by the next MHD_run. */
  void (*kick)(struct api_listener_info *li);
};
enum MHD_Result api_access(void *cls, struct MHD_Connection *conn,
                           const char *url, const char *method,
                           const char *version, const char *upload_data,
                           size_t *upload_data_size, void **con_cls);
void api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe);

#endif
