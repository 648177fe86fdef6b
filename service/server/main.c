/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchd: the UCH API and scheduler.  It never moves data itself: it
 * validates, writes a job's first state, queues it, starts one uch-job
 * worker per job, and serves status from the state files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "api/auth.h"
#include "check/probe.h"
#include "jobs/worker.h"
#include "uchd/confine.h"
#include "uchd/export-files.h"
#include "server/listen.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "volumes/volumes.h"

/* One uchd per state dir: STATE/uchd.lock, held (flock) for our whole
 * life and holding our pid.  A second uchd started by mistake stops here,
 * before it removes a socket, a submit in progress or anything else of
 * the first one's.  Close-on-exec: a worker outliving us must not keep
 * the next uchd from starting. */
static int instance_lock(struct uchd *d)
{
  _cleanup_free_ char *path = NULL;
  char pid[32] = "";
  ssize_t n;

  if (asprintf(&path, "%s/uchd.lock", d->cfg.state_dir) < 0)
    return -1;
  d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (d->lock_fd < 0) {
    log_error("%s: %m", path);
    return -1;
  }
  if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
    int saved = errno;
    n = pread(d->lock_fd, pid, sizeof pid - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    if (saved == EWOULDBLOCK)
      log_error("another uchd (pid %s) is running with state dir %s "
                "(it holds %s); not starting", *pid ? pid : "unknown",
                d->cfg.state_dir, path);
    else
      log_error("%s: flock: %s", path, strerror(saved));
    errno = saved;
    return -1;
  }
  n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, pid, n, 0) != n) {
    log_error("%s: %m", path);
    return -1;
  }
  return 0;
}

/* The soft descriptor limit up to the hard one (systemd's LimitNOFILE
 * sets both): listeners take a share of it for connections
 * (server/listen.c).  select() is not used anywhere, so a soft limit
 * above 1024 is safe. */
static void nofile_raise(void)
{
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
    log_warning("cannot raise the descriptor limit: %m");
}

static int setup(struct uchd *d)
{
  char why[PATH_MAX + 128];
  double t0;

  if (mkdir_p(d->cfg.state_dir, 0755) < 0 ||
      mkdir_p(d->cfg.runtime_dir, 0755) < 0) {
    log_error("cannot create %s or %s: %m", d->cfg.state_dir,
              d->cfg.runtime_dir);
    return -1;
  }
  if (instance_lock(d) < 0)
    return -1;
  nofile_raise();
  d->token = token_load_or_create(d->cfg.token_file, why, sizeof why);
  if (!d->token) {
    log_error("token file: %s", why);
    return -1;
  }
  d->uch_job = worker_program();
  d->capabilities = probe_capabilities(&(struct probe_env){
    .state_dir = d->cfg.state_dir, .runtime_dir = d->cfg.runtime_dir,
    .vddk_libdir = d->cfg.vddk_libdir });
  t0 = time_monotonic();
  if (store_load(&d->store, d->cfg.state_dir) < 0) {
    log_error("cannot load jobs from %s/jobs: %m", d->cfg.state_dir);
    return -1;
  }
  log_info("loaded %zu jobs in %.3f s", d->store.n, time_monotonic() - t0);
  return 0;
}

static int run(struct uchd *d)
{
  sigset_t mask;
  int r;

  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);

  if ((r = sd_event_default(&d->ev)) < 0) {
    log_error("sd_event_default: %s", strerror(-r));
    return -1;
  }
  /* SIGTERM/SIGINT end the loop; workers, in their own sessions, go on */
  sd_event_add_signal(d->ev, NULL, SIGTERM, NULL, NULL);
  sd_event_add_signal(d->ev, NULL, SIGINT, NULL, NULL);
  sd_event_set_watchdog(d->ev, true);
  if (setup(d) < 0 || listeners_open(d) < 0)
    return -1;
  scheduler_adopt(d);
  sd_notify(0, "READY=1");
  log_info("uchd %s ready, %d job slots", UCH_VERSION, d->cfg.max_jobs);
  r = sd_event_loop(d->ev);
  sd_notify(0, "STOPPING=1");
  log_info("stopping (workers keep running)");
  return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
  struct uchd d = { .lock_fd = -1 };
  struct uch_error err = { 0 };
  int rc;

  log_init("uchd");
  switch (config_from_args(&d.cfg, argc, argv, &err)) {
  case CONFIG_EXIT_OK:
    config_free(&d.cfg);
    return 0;
  case CONFIG_EXIT_USAGE:
    fprintf(stderr, "uchd: %s\n", err.message);
    config_free(&d.cfg);
    return 2;
  case CONFIG_RUN:
    break;
  }
  /* every worker inherits it (the copy's stall bound) */
  if (d.cfg.stall_timeout_s) {
    char s[16];
    snprintf(s, sizeof s, "%d", d.cfg.stall_timeout_s);
    if (setenv(STALL_TIMEOUT_ENV, s, 1) < 0) {
      fprintf(stderr, "uchd: %s\n", strerror(errno));
      config_free(&d.cfg);
      return 1;
    }
  }
  /* GET /v1/volumes reads it here, and every worker inherits it */
  if (d.cfg.volume_by_id_dir &&
      setenv(VOLUME_BY_ID_ENV, d.cfg.volume_by_id_dir, 1) < 0) {
    fprintf(stderr, "uchd: %s\n", strerror(errno));
    config_free(&d.cfg);
    return 1;
  }
  /* made here (setup() would make them) so that the policy resolves
   * them as they will be */
  if (mkdir_p(d.cfg.state_dir, 0755) < 0 ||
      mkdir_p(d.cfg.runtime_dir, 0755) < 0) {
    fprintf(stderr, "uchd: cannot create %s or %s: %s\n", d.cfg.state_dir,
            d.cfg.runtime_dir, strerror(errno));
    config_free(&d.cfg);
    return 1;
  }
  if (confine_init(&d.confine, d.cfg.roots, d.cfg.n_roots, d.cfg.state_dir,
                   d.cfg.runtime_dir,
                   (const char *const[3]){ d.cfg.token_file, d.cfg.tls_key,
                                           d.cfg.tls_cert },
                   volume_by_id_dir(), &err) < 0) {
    fprintf(stderr, "uchd: %s\n", err.message);
    confine_free(&d.confine);
    config_free(&d.cfg);
    return 2;
  }
  d.confine.served = export_serves;
  d.confine.served_opaque = &d;
  rc = run(&d) < 0 ? 1 : 0;
  listeners_close(&d);
  store_free(&d.store);
  json_object_put(d.capabilities);
  free(d.uch_job);
  if (d.token) {
    explicit_bzero(d.token, strlen(d.token));
    free(d.token);
  }
  sd_event_unref(d.ev);
  confine_free(&d.confine);
  config_free(&d.cfg);
  if (d.lock_fd >= 0)
    close(d.lock_fd);
  return rc;
}
