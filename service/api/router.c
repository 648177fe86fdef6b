/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "api/router.h"
#include "jobs/job.h"

struct path_routes {
  const char *allow;
  const char *methods[3];
  enum route routes[3];
};

static const struct path_routes health = { "GET", { "GET" }, { ROUTE_HEALTH } };
static const struct path_routes metrics = { "GET", { "GET" }, { ROUTE_METRICS } };
static const struct path_routes jobs = {
  "GET, POST", { "GET", "POST" }, { ROUTE_JOBS_LIST, ROUTE_JOBS_SUBMIT } };
static const struct path_routes job = {
  "GET, DELETE, PATCH", { "GET", "DELETE", "PATCH" },
  { ROUTE_JOB_GET, ROUTE_JOB_DELETE, ROUTE_JOB_PATCH } };
static const struct path_routes cancel = {
  "POST", { "POST" }, { ROUTE_JOB_CANCEL } };
static const struct path_routes sync_ = {
  "POST", { "POST" }, { ROUTE_JOB_SYNC } };
static const struct path_routes cutover = {
  "POST", { "POST" }, { ROUTE_JOB_CUTOVER } };
static const struct path_routes digest = {
  "POST", { "POST" }, { ROUTE_JOB_DIGEST } };
static const struct path_routes log_ = { "GET", { "GET" }, { ROUTE_JOB_LOG } };
static const struct path_routes volumes = {
  "GET", { "GET" }, { ROUTE_VOLUMES_LIST } };

static void pick(const struct path_routes *p, const char *method,
                 struct route_match *m)
{
  m->allow = p->allow;
  m->route = ROUTE_METHOD_NOT_ALLOWED;
  for (int i = 0; i < 3 && p->methods[i]; i++)
    if (strcmp(p->methods[i], method) == 0) {
      m->route = p->routes[i];
      return;
    }
}

/* /v1/jobs/{id}[/{sub}] */
static const struct path_routes *job_path(const char *rest,
                                          struct route_match *m)
{
  const char *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

  if (n == 0 || n >= sizeof m->id)
    return NULL;
  memcpy(m->id, rest, n);
  m->id[n] = '\0';
  if (!job_id_valid(m->id))
    return NULL;
  if (!slash)
    return &job;
  if (strcmp(slash, "/cancel") == 0)
    return &cancel;
  if (strcmp(slash, "/log") == 0)
    return &log_;
  if (strcmp(slash, "/sync") == 0)
    return &sync_;
  if (strcmp(slash, "/cutover") == 0)
    return &cutover;
  if (strcmp(slash, "/digest") == 0)
    return &digest;
  return NULL;
}

void route_match(const char *method, const char *path, struct route_match *m)
{
  const struct path_routes *p = NULL;

  memset(m, 0, sizeof *m);
  if (strcmp(path, "/v1/health") == 0)
    p = &health;
  else if (strcmp(path, "/metrics") == 0)
    p = &metrics;
  else if (strcmp(path, "/v1/jobs") == 0 || strcmp(path, "/v1/jobs/") == 0)
    p = &jobs;
  else if (strncmp(path, "/v1/jobs/", 9) == 0)
    p = job_path(path + 9, m);
  else if (strcmp(path, "/v1/volumes") == 0)
    p = &volumes;
  if (!p) {
    m->route = ROUTE_NOT_FOUND;
    m->id[0] = '\0';
    return;
  }
  pick(p, method, m);
}
