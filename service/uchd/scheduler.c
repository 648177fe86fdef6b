/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The queue: at most max_jobs workers at once; queued jobs start oldest
 * first (created_at), which also holds after a restart since the queue
 * is just the queued jobs on disk. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "uchd/workers.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

unsigned scheduler_running(struct uchd *d)
{
  unsigned n = 0;
  for (size_t i = 0; i < d->store.n; i++)
    if (d->store.v[i]->pid > 0)
      n++;
  return n;
}

static bool waiting(const struct job *j)
{
  return j->pid <= 0 && job_state(j) == JOB_QUEUED;
}

unsigned scheduler_queued(struct uchd *d)
{
  unsigned n = 0;
  for (size_t i = 0; i < d->store.n; i++)
    if (waiting(d->store.v[i]))
      n++;
  return n;
}

static struct job *oldest_waiting(struct uchd *d)
{
  struct job *best = NULL;
  for (size_t i = 0; i < d->store.n; i++) {
    struct job *j = d->store.v[i];
    if (!waiting(j))
      continue;
    if (!best || strcmp(job_created_at(j), job_created_at(best)) < 0)
      best = j;
  }
  return best;
}

static void fail_to_start(struct uchd *d, struct job *j, int err)
{
  char msg[512];
  _cleanup_free_ char *rt = job_runtime_dir(d->cfg.runtime_dir, j->id);

  snprintf(msg, sizeof msg, "cannot start the worker %s: %s", d->uch_job,
           strerror(err));
  log_job(LOG_ERR, j->id, "%s", msg);
  jobdoc_set_error(j->doc, "worker_failed", msg);
  jobdoc_set_state(j->doc, JOB_FAILED);
  job_save(&d->store, j);
  if (rt)
    rm_rf(rt);
}

static void notify_status(struct uchd *d)
{
  char status[128];
  snprintf(status, sizeof status, "%u running, %u queued",
           scheduler_running(d), scheduler_queued(d));
  if (strcmp(status, d->last_status) == 0)
    return;
  snprintf(d->last_status, sizeof d->last_status, "%s", status);
  sd_notifyf(0, "STATUS=%s", status);
}

void scheduler_run(struct uchd *d)
{
  unsigned running = scheduler_running(d);
  struct job *j;

  if (d->adopting)
    return;
  while (running < (unsigned)d->cfg.max_jobs && (j = oldest_waiting(d))) {
    if (worker_spawn(d, j) < 0)
      fail_to_start(d, j, errno);
    else
      running++;
  }
  notify_status(d);
}

int scheduler_cancel(struct uchd *d, struct job *j)
{
  if (j->pid > 0) {
    log_job(LOG_INFO, j->id, "cancel: SIGTERM to worker %d", (int)j->pid);
    j->cancel_requested = true;
    return worker_signal(j, SIGTERM);
  }
  job_refresh(&d->store, j);
  enum job_state s = job_state(j);
  if (job_state_is_final(s)) {
    errno = EALREADY;
    return -1;
  }
  /* queued, no worker: uchd still owns the state */
  _cleanup_free_ char *rt = job_runtime_dir(d->cfg.runtime_dir, j->id);
  jobdoc_set_state(j->doc, JOB_CANCELLED);
  if (job_save(&d->store, j) < 0)
    return -1;
  if (rt)
    rm_rf(rt);
  log_job(LOG_INFO, j->id, "cancelled while queued");
  notify_status(d);
  return 0;
}
