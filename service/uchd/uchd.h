/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by the event loop, the scheduler and the
 * HTTP handlers (all on one thread). */
#ifndef UCHD_H
#define UCHD_H

#include <stdbool.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "uchd/config.h"
#include "uchd/confine.h"
#include "uchd/store.h"

#define HTTP_CODES 600

struct listener;

struct uchd {
  struct uchd_config cfg;
  struct confine confine;          /* the paths requests may name */
  sd_event *ev;
  struct store store;
  struct listener **listeners;
  size_t n_listeners;
  int lock_fd;                     /* STATE/uchd.lock, held (flock) */
  char *token;                     /* bearer token for TCP listeners */
  char *uch_job;                   /* the worker program */
  json_object *capabilities;       /* probed once at start */
  unsigned long long http_responses[HTTP_CODES];
  unsigned http_waiting;           /* long polls suspended (api/job-wait.c) */
  char last_status[128];
  bool adopting;                   /* scheduler waits until adoption is done */
};

/* Starts what can start now (slots free); tells systemd our status. */
void scheduler_run(struct uchd *d);
/* At start: adopt live workers, fail lost ones, queue the rest. */
void scheduler_adopt(struct uchd *d);
unsigned scheduler_running(struct uchd *d);
unsigned scheduler_queued(struct uchd *d);
/* Cancels `j`: a queued job without a worker ends here; otherwise its
 * worker gets SIGTERM.  -1 with errno EALREADY when j is final. */
int scheduler_cancel(struct uchd *d, struct job *j);

#endif
