/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who waits for a job to change (a long poll, api/job-wait.c): while a
 * job has a waiter, uchd watches its directory with inotify for a new
 * state.json (the worker's and uchd's writes both rename one into
 * place), and tells the waiters of that and of the worker's end. */
#ifndef UCHD_JOB_WAIT_H
#define UCHD_JOB_WAIT_H

#include <stdbool.h>

#include "uchd/uchd.h"

struct job_waiter {
  struct job_waiter *next;
  struct job *job;                 /* NULL once removed */
  /* The job's state.json changed or its worker ended (gone false), or
   * the job is about to be freed (gone true: the waiter is removed
   * already).  May call job_wait_remove() on itself. */
  void (*changed)(struct job_waiter *w, bool gone);
};

/* Adds `w` to `j`'s waiters; -1 (errno) when the job's directory cannot
 * be watched. */
int job_wait_add(struct uchd *d, struct job *j, struct job_waiter *w);
/* Removes `w` (no-op when it is not waiting); the last one stops the
 * watch. */
void job_wait_remove(struct job_waiter *w);
/* Calls every waiter of `j`; with `gone` removes them all first. */
void job_wait_notify(struct job *j, bool gone);
/* job_wait_notify(j, true) for every job: uchd stops. */
void job_wait_notify_all(struct store *s);

#endif
