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
#include "util/fs.h"
#include "util/timeutil.h"

/* how long a server may take to write its pid file */
#define READY_TIMEOUT 120.0
/* without an inotify watch, how often the pid file is looked for */
#define READY_POLL_MS 50

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

/* An inotify descriptor woken when a file appears in pidfile's
 * directory, or -1 (then the wait below looks every READY_POLL_MS). */
static int pidfile_watch(const char *pidfile)
{
  _cleanup_free_ char *dir = strdup(pidfile);
  char *slash = dir ? strrchr(dir, '/') : NULL;

  if (!slash)
    return -1;
  *slash = '\0';
  return fs_watch_new_files(*dir ? dir : "/");
}

/* The pid file is waited for by an event: looked for every 50 ms, a
 * server's start cost 25 ms more than it took on average (nbdkit is
 * ready in 30 to 60 ms), once a source, destination and check each. */
int wait_ready(struct runner *r, struct child *ch, const char *pidfile,
               struct job_failure *f)
{
  double end = time_monotonic() + READY_TIMEOUT;
  _cleanup_close_ int watch = pidfile_watch(pidfile);
  char why[512], events[4096];

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
    if (children_poll(&r->kids, watch, READY_POLL_MS) > 0)
      while (read(watch, events, sizeof events) > 0)
        ;
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
