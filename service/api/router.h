/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which handler a method and path go to: pure, so it is unit tested. */
#ifndef UCH_API_ROUTER_H
#define UCH_API_ROUTER_H

#include <stdbool.h>

enum route {
  ROUTE_NOT_FOUND,
  ROUTE_METHOD_NOT_ALLOWED,
  ROUTE_HEALTH,
  ROUTE_METRICS,
  ROUTE_JOBS_LIST,
  ROUTE_JOBS_SUBMIT,
  ROUTE_JOB_GET,
  ROUTE_JOB_DELETE,
  ROUTE_JOB_CANCEL,
  ROUTE_JOB_LOG,
  ROUTE_VOLUMES_LIST,
  ROUTE_JOB_PATCH,
  ROUTE_JOB_SYNC,
  ROUTE_JOB_CUTOVER,
  ROUTE_JOB_DIGEST,
};

struct route_match {
  enum route route;
  char id[65];            /* the {id} of /v1/jobs/{id}... */
  const char *allow;      /* methods the path accepts, for 405's Allow */
};

void route_match(const char *method, const char *path, struct route_match *m);
/* Routes whose body may be left out altogether (no Content-Type
 * needed then). */
static inline bool route_body_optional(enum route r)
{
  return r == ROUTE_JOB_SYNC || r == ROUTE_JOB_CUTOVER;
}
/* Routes that read a request body. */
static inline bool route_has_body(enum route r)
{
  return r == ROUTE_JOBS_SUBMIT || r == ROUTE_JOB_PATCH ||
         r == ROUTE_JOB_DIGEST || route_body_optional(r);
}

#endif
