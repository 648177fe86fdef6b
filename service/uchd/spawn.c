/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
#include "util/spawn.h"
#include "util/tls-priority.h"

extern char **environ;

/* The worker's environment (worker_env_build): ours without what
 * systemd gave uchd alone, with our gnutls overrides in
 * RUNTIME/gnutls.conf where the system has no gnutls configuration of
 * its own (util/tls-priority.h). */
int worker_env(struct uchd *d, struct argv *env)
{
  _cleanup_free_ char *conf = NULL;

  if (!tls_priority_system(environ, tls_priority_system_paths)) {
    if (asprintf(&conf, "%s/gnutls.conf", d->cfg.runtime_dir) < 0)
      return -1;
    if (tls_priority_write(conf) < 0) {
      log_msg(LOG_WARNING, "%s: %s: workers' TLS keeps gnutls's default "
              "ciphers", conf, strerror(errno));
      free(conf);
      conf = NULL;
    }
  }
  return worker_env_build(env, environ, conf);
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

int worker_spawn(struct uchd *d, struct job *j)
{
  _cleanup_argv_ struct argv args = { 0 };
  _cleanup_free_ char *log_path = job_file(d->cfg.state_dir, j->id, "job.log");
  struct spawn s;
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
  /* Its own session, so it outlives us (even kill -9): no parent-death
   * signal.  It starts with default signals and nothing blocked (we
   * block SIGCHLD, SIGTERM, SIGINT for sd-event), stdin /dev/null,
   * stdout and stderr appended to job.log, none of our fds. */
  _cleanup_argv_ struct argv env = { 0 };
  if (worker_env(d, &env) < 0)
    return -1;
  spawn_init(&s, &args);
  s.group = SPAWN_SESSION_NEW;
  s.deathsig = 0;
  s.close_others = true;
  s.envp = env.v;
  _cleanup_close_ int log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT |
                                    O_CLOEXEC, 0644);
  if (log_fd < 0) {
    int err = errno;
    log_job(LOG_ERR, j->id, "cannot open %s: %s", log_path, strerror(err));
    errno = err;
    return -1;
  }
  if (spawn_open(&s, 0, "/dev/null", O_RDONLY, 0) < 0 ||
      spawn_dup(&s, 1, log_fd) < 0 || spawn_dup(&s, 2, log_fd) < 0)
    return -1;
  if ((pid = spawn_start(&s)) < 0) {
    int err = errno;
    log_job(LOG_ERR, j->id, "%s", s.error);
    errno = err;
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
