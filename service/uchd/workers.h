/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting, watching and adopting uch-job workers (uchd side).  The
 * worker owns state.json while it holds its lock; once it is gone
 * without a final state, uchd writes the job failed ("worker_lost"). */
#ifndef UCHD_WORKERS_H
#define UCHD_WORKERS_H

#include "uchd/uchd.h"
#include "util/argv.h"

/* posix_spawn, own session, stdin /dev/null, output appended to job.log;
 * watched with sd_event_add_child.  -1 (errno) when it could not start. */
int worker_spawn(struct uchd *d, struct job *j);
/* Its environment (worker_env_build), with our gnutls overrides in
 * RUNTIME/gnutls.conf where the system has none of its own. */
int worker_env(struct uchd *d, struct argv *env);
/* Watches a worker started by an earlier uchd, through a pidfd. */
int worker_watch_pid(struct uchd *d, struct job *j, pid_t pid);
/* The worker of `j` is gone: `how` says how ("exited with status 1",
 * "was killed by signal 9", ...). */
void worker_ended(struct uchd *d, struct job *j, const char *how);
int worker_signal(struct job *j, int sig);
/* 1 when a worker holds STATE/jobs/ID/worker.lock (*lock_pid: the pid it
 * wrote there, or 0), 0 when nobody does. */
int worker_lock_held(struct uchd *d, struct job *j, pid_t *lock_pid);
/* The live worker's pid: from state.json when its start time matches,
 * else from the lock file; 0 when neither is alive. */
pid_t worker_live_pid(struct job *j, pid_t lock_pid);

#endif
