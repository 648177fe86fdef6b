/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Routing: which handler a method and path reach, 404 for unknown paths
 * and bad ids, 405 with the Allow list. */
#include "api/router.h"
#include "tap.h"

static enum route r(const char *method, const char *path)
{
  struct route_match m;
  route_match(method, path, &m);
  return m.route;
}

int main(void)
{
  struct route_match m;

  is_int(r("GET", "/v1/health"), ROUTE_HEALTH, "GET health");
  is_int(r("GET", "/metrics"), ROUTE_METRICS, "GET metrics");
  is_int(r("GET", "/v1/jobs"), ROUTE_JOBS_LIST, "GET jobs");
  is_int(r("POST", "/v1/jobs"), ROUTE_JOBS_SUBMIT, "POST jobs");
  is_int(r("GET", "/v1/jobs/abc"), ROUTE_JOB_GET, "GET job");
  is_int(r("DELETE", "/v1/jobs/abc"), ROUTE_JOB_DELETE, "DELETE job");
  is_int(r("POST", "/v1/jobs/abc/cancel"), ROUTE_JOB_CANCEL, "cancel");
  is_int(r("GET", "/v1/jobs/abc/log"), ROUTE_JOB_LOG, "log");

  route_match("GET", "/v1/jobs/a.b_c-9/log", &m);
  is_str(m.id, "a.b_c-9", "id taken from the path");

  is_int(r("GET", "/"), ROUTE_NOT_FOUND, "/");
  is_int(r("GET", "/v1"), ROUTE_NOT_FOUND, "/v1");
  is_int(r("GET", "/v1/jobs/abc/other"), ROUTE_NOT_FOUND, "unknown sub");
  is_int(r("GET", "/v1/jobs/abc/log/x"), ROUTE_NOT_FOUND, "too deep");
  is_int(r("GET", "/v1/jobs/.."), ROUTE_NOT_FOUND, "id ..");
  is_int(r("GET", "/v1/jobs/a%2Fb"), ROUTE_NOT_FOUND, "id with %%");
  is_int(r("GET", "/v1/jobs//log"), ROUTE_NOT_FOUND, "empty id");
  is_int(r("GET", "/v1/jobs/"
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
         ROUTE_NOT_FOUND, "id of 65 characters");
  is_int(r("GET", "/v1/healthz"), ROUTE_NOT_FOUND, "prefix only");

  route_match("PUT", "/v1/jobs", &m);
  is_int(m.route, ROUTE_METHOD_NOT_ALLOWED, "PUT jobs: 405");
  is_str(m.allow, "GET, POST", "Allow for jobs");
  route_match("POST", "/v1/jobs/x", &m);
  is_int(m.route, ROUTE_METHOD_NOT_ALLOWED, "POST job: 405");
  is_str(m.allow, "GET, DELETE, PATCH", "Allow for a job");
  route_match("GET", "/v1/jobs/x/cancel", &m);
  is_str(m.allow, "POST", "Allow for cancel");
  route_match("POST", "/v1/health", &m);
  is_int(m.route, ROUTE_METHOD_NOT_ALLOWED, "POST health: 405");
  ok(route_has_body(ROUTE_JOBS_SUBMIT) && !route_has_body(ROUTE_JOB_CANCEL),
     "submit reads a body, cancel none");
  is_int(r("PATCH", "/v1/jobs/x"), ROUTE_JOB_PATCH, "PATCH a job");
  ok(route_has_body(ROUTE_JOB_PATCH), "PATCH reads a body");
  is_int(r("POST", "/v1/jobs/s1/sync"), ROUTE_JOB_SYNC, "POST sync");
  is_int(r("POST", "/v1/jobs/s1/cutover"), ROUTE_JOB_CUTOVER, "POST cutover");
  route_match("GET", "/v1/jobs/s1/cutover", &m);
  is_str(m.allow, "POST", "Allow for cutover");
  is_int(r("POST", "/v1/jobs/s1/digest"), ROUTE_JOB_DIGEST, "POST digest");
  ok(route_has_body(ROUTE_JOB_DIGEST) && !route_body_optional(ROUTE_JOB_DIGEST),
     "a posted digest must have its body");
  ok(route_has_body(ROUTE_JOB_SYNC) && route_body_optional(ROUTE_JOB_SYNC) &&
     !route_body_optional(ROUTE_JOB_PATCH),
     "sync may have a body, PATCH must");
  is_int(r("GET", "/v1/volumes"), ROUTE_VOLUMES_LIST, "GET /v1/volumes");
  route_match("POST", "/v1/volumes", &m);
  is_str(m.allow, "GET", "Allow for volumes");
  return tap_done();
}
