/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <sys/inotify.h>

#include "uchd/job-wait.h"
#include "util/cleanup.h"
#include "util/log.h"

static void watch_stop(struct job *j)
{
  if (!j->waiters)
    j->state_watch = sd_event_source_disable_unref(j->state_watch);
}

static int on_state_dir(sd_event_source *s __attribute__((unused)),
                        const struct inotify_event *ev, void *userdata)
{
  struct job *j = userdata;

  /* IN_IGNORED: the directory went away (DELETE tells the waiters
   * itself, through store_remove) */
  if ((ev->mask & IN_IGNORED) ||
      (ev->len > 0 && strcmp(ev->name, "state.json") == 0))
    job_wait_notify(j, false);
  return 0;
}

int job_wait_add(struct uchd *d, struct job *j, struct job_waiter *w)
{
  if (!j->state_watch) {
    _cleanup_free_ char *dir = job_dir(d->cfg.state_dir, j->id);
    int r;

    if (!dir) {
      errno = ENOMEM;
      return -1;
    }
    r = sd_event_add_inotify(d->ev, &j->state_watch, dir,
                             IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR,
                             on_state_dir, j);
    if (r < 0) {
      log_job(LOG_WARNING, j->id, "cannot watch %s: %s", dir, strerror(-r));
      errno = -r;
      return -1;
    }
    sd_event_source_set_description(j->state_watch, "job-state-watch");
  }
  w->job = j;
  w->next = j->waiters;
  j->waiters = w;
  return 0;
}

void job_wait_remove(struct job_waiter *w)
{
  struct job *j = w->job;

  if (!j)
    return;
  for (struct job_waiter **p = &j->waiters; *p; p = &(*p)->next)
    if (*p == w) {
      *p = w->next;
      break;
    }
  w->job = NULL;
  w->next = NULL;
  watch_stop(j);
}

void job_wait_notify(struct job *j, bool gone)
{
  struct job_waiter *w = j->waiters, *next;

  if (gone) {
    j->waiters = NULL;
    watch_stop(j);
    for (; w; w = next) {
      next = w->next;
      w->job = NULL;
      w->next = NULL;
      w->changed(w, true);
    }
    return;
  }
  /* a waiter may remove itself, never another one */
  for (; w; w = next) {
    next = w->next;
    w->changed(w, false);
  }
}

void job_wait_notify_all(struct store *s)
{
  for (size_t i = 0; i < s->n; i++)
    job_wait_notify(s->v[i], true);
}
