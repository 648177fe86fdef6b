/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "firewall/firewall.h"
#include "uchd/destinations.h"
#include "uchd/job-wait.h"
#include "uchd/workers.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static int pidfd_open(pid_t pid)
{
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal(int pidfd, int sig)
{
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static int on_pidfd(sd_event_source *s __attribute__((unused)),
                    int fd __attribute__((unused)),
                    uint32_t revents __attribute__((unused)), void *userdata)
{
  struct job *j = userdata;
  char how[32];

  /* not our child: its exit status went to whoever reaped it */
  snprintf(how, sizeof how, "ended");
  log_job(LOG_INFO, j->id, "adopted worker %d ended", (int)j->pid);
  worker_ended(j->daemon, j, how);
  return 0;
}

int worker_watch_pid(struct uchd *d, struct job *j, pid_t pid)
{
  int fd = pidfd_open(pid);
  int r;

  if (fd < 0)
    return -1;
  j->pid = pid;
  j->pidfd = fd;
  j->daemon = d;
  r = sd_event_add_io(d->ev, &j->worker_src, fd, EPOLLIN, on_pidfd, j);
  if (r < 0) {
    errno = -r;
    return -1;
  }
  sd_event_source_set_description(j->worker_src, "adopted-worker");
  log_job(LOG_INFO, j->id, "watching worker %d again", (int)pid);
  return 0;
}

int worker_signal(struct job *j, int sig)
{
  if (j->pid <= 0) {
    errno = ESRCH;
    return -1;
  }
  if (j->pidfd >= 0)
    return pidfd_send_signal(j->pidfd, sig);
  if (j->worker_src) {
    int r = sd_event_source_send_child_signal(j->worker_src, sig, NULL, 0);
    if (r < 0) {
      errno = -r;
      return -1;
    }
    return 0;
  }
  /* known only from its lock: a bare pid may be stale, never signal it */
  errno = ESRCH;
  return -1;
}

/* An export's port the worker opened in firewalld and could not close
 * (killed): nobody else will.  Blocks the loop for one D-Bus call, only
 * for such a job. */
static void close_firewall(struct job *j)
{
  char err[512];
  int r = fw_close_for_job(j->doc, err, sizeof err);

  if (r > 0)
    log_job(LOG_INFO, j->id, "closed the export's port in firewalld, "
            "which its worker left open");
  else if (r < 0)
    log_job(LOG_ERR, j->id, "the export's port stays open in firewalld: %s",
            err);
}

void worker_ended(struct uchd *d, struct job *j, const char *how)
{
  pid_t pid = j->pid;

  j->worker_src = sd_event_source_disable_unref(j->worker_src);
  if (j->pidfd >= 0)
    close(steal_fd(j->pidfd));
  j->pid = 0;
  job_refresh(&d->store, j);
  /* Another worker may hold the job (one started by an earlier uchd just
   * before it died, while ours lost the race for the lock): watch it. */
  pid_t lock_pid, other;
  if (!job_state_is_final(job_state(j)) &&
      worker_lock_held(d, j, &lock_pid) &&
      (other = worker_live_pid(j, lock_pid)) > 0 && other != pid &&
      worker_watch_pid(d, j, other) == 0) {
    scheduler_run(d);
    return;
  }
  if (!job_state_is_final(job_state(j))) {
    _cleanup_free_ char *log_path = job_file(d->cfg.state_dir, j->id,
                                             "job.log");
    _cleanup_free_ char *rt = job_runtime_dir(d->cfg.runtime_dir, j->id);
    /* the worker's big temporary files (runner_scratch_dir) */
    _cleanup_free_ char *scratch = job_file(d->cfg.state_dir, j->id,
                                            "scratch");
    char msg[1024];

    if (j->cancel_requested) {
      /* it died of the cancel before it could say so itself */
      jobdoc_set_state(j->doc, JOB_CANCELLED);
      snprintf(msg, sizeof msg, "cancelled; the worker (pid %d) %s", (int)pid,
               how);
    } else if (strncmp(how, "exited with status", 18) == 0 &&
               state_dir_full(d->cfg.state_dir)) {
      /* it exited by itself (status 3: OUTCOME_STATE_UNWRITTEN, or it
       * could not even write its first state) and the disk is full:
       * not a lost worker but a full disk, said as such */
      snprintf(msg, sizeof msg,
               "the worker (pid %d) %s without writing a final state: the "
               "state dir %s has no space left on device (ENOSPC); its "
               "outcome is in the job log %s (GET /v1/jobs/%s/log); free "
               "space there and submit the same request again to restart it",
               (int)pid, how, d->cfg.state_dir,
               log_path ? log_path : "job.log", j->id);
      jobdoc_set_error(j->doc, "state_dir_full", msg);
      jobdoc_set_state(j->doc, JOB_FAILED);
    } else {
      snprintf(msg, sizeof msg,
               "the worker (pid %d) %s without writing a final state; "
               "see the job log %s (GET /v1/jobs/%s/log)%s%s%s",
               (int)pid, how, log_path ? log_path : "job.log", j->id,
               state_dir_full(d->cfg.state_dir) ? "; the state dir " : "",
               state_dir_full(d->cfg.state_dir) ? d->cfg.state_dir : "",
               state_dir_full(d->cfg.state_dir) ?
                 " has no space left on device" : "");
      jobdoc_set_error(j->doc, "worker_lost", msg);
      jobdoc_set_state(j->doc, JOB_FAILED);
    }
    close_firewall(j);
    if (job_save(&d->store, j) < 0)
      log_job(LOG_ERR, j->id, "cannot write state: %m (tried again every "
              "few seconds)");
    log_job(LOG_WARNING, j->id, "%s", msg);
    if (rt)
      rm_rf(rt);
    if (scratch)
      rm_rf(scratch);
  }
  {
    /* the space the worker kept for its final state (runner.c) */
    _cleanup_free_ char *reserve = job_file(d->cfg.state_dir, j->id,
                                            "state.reserve");
    if (reserve)
      unlink(reserve);
  }
  j->cancel_requested = false;
  /* its final state, also when uchd could not write it (ENOSPC) */
  job_wait_notify(j, false);
  destinations_prune(&d->store, d->cfg.state_dir);
  scheduler_run(d);
}
