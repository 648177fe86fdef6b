/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stopping the worker's children: SIGTERM to each tool's process group,
 * SIGKILL after a grace period, then whatever was reparented to us (we
 * are the subreaper), until nothing is left to reap. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/children.h"
#include "util/cleanup.h"
#include "util/timeutil.h"

#define STOP_GRACE_SECONDS 5.0

static void wait_exit(struct children *c, struct child *ch, double limit)
{
  double end = time_monotonic() + limit;
  while (!ch->exited && time_monotonic() < end)
    children_poll(c, -1, 50);
}

void child_stop(struct children *c, struct child *ch)
{
  if (ch->stopped)
    return;     /* its group may be someone else's by now */
  ch->stopped = true;
  if (!ch->exited) {
    kill(-ch->pid, SIGTERM);
    wait_exit(c, ch, STOP_GRACE_SECONDS);
  }
  if (!ch->exited) {
    children_log(c, "uch-job", "%s (pid %d) did not stop, killing it",
                 ch->tool, ch->pid);
    kill(-ch->pid, SIGKILL);
    wait_exit(c, ch, 30);
  }
  /* Stragglers still in its group (e.g. a helper it forked). */
  kill(-ch->pid, SIGKILL);
}

/* Processes whose parent is us but that we did not start: what a tool
 * left behind, reparented to us as the subreaper. */
static void kill_reparented(void)
{
  _cleanup_closedir_ DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t self = getpid();

  while (d && (e = readdir(d))) {
    char path[300], *line = NULL;
    size_t cap = 0;
    int ppid = 0;
    pid_t pid = atoi(e->d_name);
    if (pid <= 0 || pid == self)
      continue;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
      continue;
    if (getline(&line, &cap, f) > 0) {
      char *p = strrchr(line, ')');
      if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == self)
        kill(pid, SIGKILL);
    }
    free(line);
    fclose(f);
  }
}

void children_done(struct children *c)
{
  bool any = false;

  for (struct child *ch = c->list; ch; ch = ch->next)
    if (!ch->exited) {
      kill(-ch->pid, SIGTERM);
      any = true;
    }
  double end = time_monotonic() + STOP_GRACE_SECONDS;
  while (any && time_monotonic() < end) {
    any = false;
    for (struct child *ch = c->list; ch; ch = ch->next)
      any |= !ch->exited;
    if (any)
      children_poll(c, -1, 50);
  }
  for (struct child *ch = c->list; ch; ch = ch->next)
    kill(-ch->pid, SIGKILL);
  /* Reap everything, ours and adopted, until nothing is left; a
   * grandchild may be reparented to us only as its parent dies. */
  end = time_monotonic() + 30;
  while (time_monotonic() < end) {
    kill_reparented();
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid < 0 && errno == ECHILD)
      break;
    if (pid == 0)
      usleep(10000);
  }
  while (c->list)
    child_release(c, c->list);
  if (c->sig_fd >= 0)
    close(c->sig_fd);
  c->sig_fd = -1;
}
