/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobs/worker.h"
#include "uchd/worker-unit.h"
#include "uchd/workers.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/log.h"

extern char **environ;

/* The worker's environment: ours without what systemd gave uchd
 * alone (worker_env_keep). */
static char **worker_env(void)
{
  size_t n = 0, k = 0;

  while (environ[n])
    n++;
  char **env = calloc(n + 1, sizeof *env);
  if (!env)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (worker_env_keep(environ[i]))
      env[k++] = environ[i];
  return env;
}

static int on_child(sd_event_source *s __attribute__((unused)), const siginfo_t *si, void *userdata)
{
  struct job *j = userdata;
  struct uchd *d = j->daemon;
  char how[64];

  if (si->si_code == CLD_EXITED)
    snprintf(how, sizeof how, "exited with status %d", si->si_status);
  else
    snprintf(how, sizeof how, "was killed by signal %d (%s)", si->si_status,
             strsignal(si->si_status));
  log_job(LOG_INFO, j->id, "worker %d %s", (int)si->si_pid, how);
  worker_ended(d, j, how);
  return 0;
}

/* The child starts with default signal handling and nothing blocked:
 * uchd blocks SIGCHLD/SIGTERM/SIGINT for sd-event. */
static int spawn_attr(posix_spawnattr_t *attr)
{
  sigset_t none, dfl;

  sigemptyset(&none);
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGCHLD);
  sigaddset(&dfl, SIGTERM);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, SIGPIPE);
  sigaddset(&dfl, SIGHUP);
  if (posix_spawnattr_init(attr) != 0)
    return -1;
  if (posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID |
                               POSIX_SPAWN_SETSIGMASK |
                               POSIX_SPAWN_SETSIGDEF) != 0 ||
      posix_spawnattr_setsigmask(attr, &none) != 0 ||
      posix_spawnattr_setsigdefault(attr, &dfl) != 0) {
    posix_spawnattr_destroy(attr);
    return -1;
  }
  return 0;
}

static int spawn_files(posix_spawn_file_actions_t *fa, const char *log_path)
{
  if (posix_spawn_file_actions_init(fa) != 0)
    return -1;
  if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0) ||
      posix_spawn_file_actions_addopen(fa, 1, log_path,
                                       O_WRONLY | O_APPEND | O_CREAT, 0644) ||
      posix_spawn_file_actions_adddup2(fa, 1, 2) ||
      posix_spawn_file_actions_addclosefrom_np(fa, 3)) {
    posix_spawn_file_actions_destroy(fa);
    return -1;
  }
  return 0;
}

int worker_spawn(struct uchd *d, struct job *j)
{
  _cleanup_argv_ struct argv args = { 0 };
  _cleanup_free_ char *log_path = job_file(d->cfg.state_dir, j->id, "job.log");
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int r;

  /* Under systemd each worker is its own unit (worker-unit.h); when
   * systemd will not start it, the worker still runs, the old way. */
  if (worker_units_wanted()) {
    if (worker_spawn_unit(d, j) == 0)
      return 0;
    log_job(LOG_WARNING, j->id, "starting the worker without a unit");
  }
  if (!log_path || worker_argv(&args, d->uch_job, d->cfg.state_dir,
                               d->cfg.runtime_dir, j->id) < 0)
    return -1;
  if (spawn_attr(&attr) < 0)
    return -1;
  if (spawn_files(&fa, log_path) < 0) {
    posix_spawnattr_destroy(&attr);
    return -1;
  }
  _cleanup_free_ char **env = worker_env();
  r = posix_spawn(&pid, args.v[0], &fa, &attr, args.v, env ? env : environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (r != 0) {
    errno = r;
    return -1;
  }
  j->pid = pid;
  j->daemon = d;
  r = sd_event_add_child(d->ev, &j->worker_src, pid, WEXITED, on_child, j);
  if (r < 0) {
    /* cannot watch it: it still runs; a restart would adopt it */
    log_job(LOG_ERR, j->id, "cannot watch worker %d: %s", (int)pid,
            strerror(-r));
    return 0;
  }
  sd_event_source_set_description(j->worker_src, "worker");
  log_job(LOG_INFO, j->id, "started worker %d", (int)pid);
  return 0;
}
