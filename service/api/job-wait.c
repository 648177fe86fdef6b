/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The long poll of GET /v1/jobs/{id}?wait_s=N&until=final|served: the
 * connection is suspended (MHD_suspend_connection) and resumed on an
 * event: the job's state.json changed (inotify, uchd/job-wait.c) to what
 * it waits for, its worker ended, the job is deleted, or uchd stops; or
 * by a timer once wait_s have passed.  A suspended connection still
 * counts against its listener's connection limit; one whose client went
 * away is closed when it is resumed, at the latest after wait_s. */
#include <stdlib.h>
#include <time.h>

#include "api/http.h"
#include "api/wait-query.h"
#include "uchd/job-wait.h"
#include "util/log.h"

struct api_wait {
  struct job_waiter waiter;        /* first: the callback's container */
  struct http_request *r;
  enum wait_until until;
  sd_event_source *timer;
  bool resumed;
};

static void wait_end(struct api_wait *w)
{
  job_wait_remove(&w->waiter);
  w->timer = sd_event_source_disable_unref(w->timer);
  if (!w->resumed) {
    w->resumed = true;
    w->r->d->http_waiting--;
    MHD_resume_connection(w->r->conn);
    w->r->li->kick(w->r->li);
  }
}

static void on_changed(struct job_waiter *jw, bool gone)
{
  struct api_wait *w = (struct api_wait *)jw;

  if (!gone) {
    job_refresh(&w->r->d->store, jw->job);
    if (!wait_query_done(jw->job->doc, w->until))
      return;
  }
  wait_end(w);
}

static int on_timeout(sd_event_source *s __attribute__((unused)),
                      uint64_t usec __attribute__((unused)), void *userdata)
{
  wait_end(userdata);
  return 0;
}

enum MHD_Result api_wait_start(struct http_request *r, struct job *j,
                               const struct wait_query *q)
{
  struct api_wait *w = calloc(1, sizeof *w);
  uint64_t now;

  if (!w)
    return MHD_NO;
  w->r = r;
  w->until = q->until;
  w->waiter.changed = on_changed;
  r->wait = w;
  if (sd_event_now(r->d->ev, CLOCK_MONOTONIC, &now) < 0 ||
      sd_event_add_time(r->d->ev, &w->timer, CLOCK_MONOTONIC,
                        now + (uint64_t)q->wait_s * 1000000, 1000,
                        on_timeout, w) < 0 ||
      job_wait_add(r->d, j, &w->waiter) < 0) {
    /* cannot wait: the job as it is, as a wait of 0 would */
    w->timer = sd_event_source_disable_unref(w->timer);
    w->resumed = true;
    return http_json(r, MHD_HTTP_OK, j->doc);
  }
  MHD_suspend_connection(r->conn);
  r->d->http_waiting++;
  return MHD_YES;
}

void api_wait_free(struct http_request *r)
{
  struct api_wait *w = r->wait;

  if (!w)
    return;
  if (!w->resumed)
    r->d->http_waiting--;
  job_wait_remove(&w->waiter);
  sd_event_source_disable_unref(w->timer);
  free(w);
  r->wait = NULL;
}
