/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "jobs/worker.h"
#include "runner/tools.h"
#include "util/cleanup.h"
#include "util/timeutil.h"

/* how long a server may take to write its pid file */
#define READY_TIMEOUT 120.0

char *runtime_path(struct runner *r, const char *fmt, ...)
{
  _cleanup_free_ char *name = NULL;
  char *p = NULL;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vasprintf(&name, fmt, ap);
  va_end(ap);
  if (n < 0 || asprintf(&p, "%s/%s", r->rt_dir, name) < 0)
    return NULL;
  if (strlen(p) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
    free(p);
    errno = ENAMETOOLONG;
    return NULL;
  }
  return p;
}

int tool_run(struct runner *r, const char *tool, const struct argv *a,
             struct job_failure *f)
{
  struct child *ch = child_spawn(&r->kids, tool, a, -1);
  char why[512];

  if (!ch) {
    failure_set(f, "tool_failed", "%s: cannot run: %s", tool, strerror(errno));
    return -1;
  }
  if (child_wait(&r->kids, ch) < 0) {     /* cancelled: it was stopped */
    child_release(&r->kids, ch);
    return -1;
  }
  if (!child_succeeded(ch)) {
    child_describe_failure(ch, why, sizeof why);
    failure_set(f, "tool_failed", "%s", why);
    child_release(&r->kids, ch);
    return -1;
  }
  child_release(&r->kids, ch);
  return 0;
}

int wait_ready(struct runner *r, struct child *ch, const char *pidfile,
               struct job_failure *f)
{
  double end = time_monotonic() + READY_TIMEOUT;
  char why[512];

  while (access(pidfile, F_OK) != 0) {
    if (r->kids.cancelled)
      return -1;
    if (ch->exited) {
      child_wait(&r->kids, ch);         /* its last words */
      child_describe_failure(ch, why, sizeof why);
      failure_set(f, "tool_failed", "%s", why);
      return -1;
    }
    if (time_monotonic() > end) {
      failure_set(f, "timeout", "%s: not ready after %.0f seconds", ch->tool,
                  READY_TIMEOUT);
      return -1;
    }
    children_poll(&r->kids, -1, 50);
  }
  return 0;
}

unsigned stall_timeout_s(void)
{
  const char *v = getenv(STALL_TIMEOUT_ENV);
  char *end;
  unsigned long n;

  if (!v || !*v)
    return STALL_TIMEOUT_DEFAULT_S;
  errno = 0;
  n = strtoul(v, &end, 10);
  if (errno || *end || n < 1 || n > 86400)
    return STALL_TIMEOUT_DEFAULT_S;
  return (unsigned)n;
}
