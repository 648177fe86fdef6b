/* SPDX-License-Identifier: GPL-2.0-or-later */
/* After a restart: find which unfinished jobs still have a live worker
 * (their worker.lock is held), watch those again, and settle the rest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "uchd/destinations.h"
#include "uchd/workers.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* A worker whose lock is held but that cannot be watched through a pidfd
 * is checked again this often. */
#define RECHECK_SECONDS 5

int worker_lock_held(struct uchd *d, struct job *j, pid_t *lock_pid)
{
  _cleanup_free_ char *path = job_file(d->cfg.state_dir, j->id, "worker.lock");
  _cleanup_close_ int fd = -1;
  char buf[32] = "";

  *lock_pid = 0;
  if (!path)
    return 0;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return 0;
  }
  if (errno != EWOULDBLOCK)
    return 0;
  if (read(fd, buf, sizeof buf - 1) > 0)
    *lock_pid = (pid_t)atoi(buf);
  return 1;
}

/* The worker's pid: from state.json when its start time still matches,
 * else what the worker wrote in its lock file. */
pid_t worker_live_pid(struct job *j, pid_t lock_pid)
{
  int pid;
  unsigned long long start;

  if (jobdoc_get_worker(j->doc, &pid, &start) && pid > 0 &&
      proc_start_time(pid) == start)
    return pid;
  if (lock_pid > 0 && proc_start_time(lock_pid) != 0)
    return lock_pid;
  return 0;
}

static void adopt_one(struct uchd *d, struct job *j)
{
  pid_t lock_pid, pid;

  j->daemon = d;
  if (worker_lock_held(d, j, &lock_pid)) {
    pid = worker_live_pid(j, lock_pid);
    if (pid > 0 && worker_watch_pid(d, j, pid) == 0)
      return;
    /* held, but the holder cannot be watched: treat as still running and
     * let the pid be found when it ends (rare: pid reuse races) */
    log_job(LOG_WARNING, j->id, "worker lock held but no worker pid found; "
            "checking its lock every %d s", RECHECK_SECONDS);
    j->pid = lock_pid > 0 ? lock_pid : 1;
    return;
  }
  if (job_state(j) == JOB_QUEUED)
    return;                            /* scheduler_run starts it */
  int wpid = 0;
  unsigned long long start;
  jobdoc_get_worker(j->doc, &wpid, &start);
  j->pid = wpid;
  worker_ended(d, j, "ended while uchd was not running");
}

static int on_recheck(sd_event_source *s, uint64_t usec,
                      void *userdata)
{
  struct uchd *d = userdata;
  pid_t lock_pid;

  for (size_t i = 0; i < d->store.n; i++) {
    struct job *j = d->store.v[i];
    if (j->pid > 0 && !j->worker_src && !worker_lock_held(d, j, &lock_pid))
      worker_ended(d, j, "ended (its lock was released)");
  }
  /* states uchd could not write (a full state dir) */
  store_save_pending(&d->store);
  sd_event_source_set_time(s, usec + RECHECK_SECONDS * 1000000ULL);
  sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
  return 0;
}

/* RUNTIME/jobs/ID of no job (uchd killed during a submit, after the
 * secrets were stored and before the job's directory was renamed into
 * place: the job is 404 and its secrets would stay on the tmpfs) or of a
 * finished one (its worker was killed before it cleaned up) goes.  Only
 * at start, so no submit is in progress. */
static void runtime_orphans_remove(struct uchd *d)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_closedir_ DIR *dh = NULL;
  struct dirent *e;

  if (asprintf(&dir, "%s/jobs", d->cfg.runtime_dir) < 0 ||
      !(dh = opendir(dir)))
    return;
  while ((e = readdir(dh))) {
    _cleanup_free_ char *path = NULL;
    struct job *j;

    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    j = job_id_valid(e->d_name) ? store_find(&d->store, e->d_name) : NULL;
    if (j && !job_state_is_final(job_state(j)))
      continue;
    if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
      continue;
    if (rm_rf(path) < 0)
      log_error("%s: cannot remove: %m", path);
    else
      log_info("removed %s, left by %s", path,
               j ? "a finished job" : "a job that does not exist "
               "(a submit cut short)");
  }
}

void scheduler_adopt(struct uchd *d)
{
  uint64_t now;
  sd_event_now(d->ev, CLOCK_MONOTONIC, &now);
  /* floating: it lives as long as the loop */
  sd_event_add_time(d->ev, NULL, CLOCK_MONOTONIC,
                    now + RECHECK_SECONDS * 1000000ULL, 1000000, on_recheck,
                    d);
  runtime_orphans_remove(d);
  d->adopting = true;
  for (size_t i = 0; i < d->store.n; i++) {
    struct job *j = d->store.v[i];
    if (!job_state_is_final(job_state(j)))
      adopt_one(d, j);
  }
  d->adopting = false;
  destinations_prune(&d->store, d->cfg.state_dir);
  scheduler_run(d);
}
