/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every job uchd knows, as parsed state.json documents kept in memory.
 * A document is re-read only when its file's (ino, mtime, size) changed,
 * since the worker owns the file while it runs. */
#ifndef UCHD_STORE_H
#define UCHD_STORE_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "jobs/job.h"

struct job_waiter;

struct job {
  char *id;
  json_object *doc;
  ino_t ino;
  struct timespec mtime;
  off_t size;
  /* Its worker, while one is starting or alive (pid > 0). */
  pid_t pid;
  sd_event_source *worker_src;   /* child source, or pidfd io when adopted */
  int pidfd;                     /* adopted workers only, else -1 */
  void *daemon;                  /* struct uchd, for event callbacks */
  bool cancel_requested;         /* SIGTERM sent on behalf of a client */
  bool unsaved;                  /* doc newer than state.json (ENOSPC) */
  struct job_request *req;       /* its request typed (job_request_of) */
  /* Clients waiting for it to change (uchd/job-wait.h), and the inotify
   * watch of its directory while there are any. */
  struct job_waiter *waiters;
  sd_event_source *state_watch;
};

struct store {
  char *state_dir;
  char *reserve;                 /* STATE/uchd.reserve, while it is there */
  struct job **v;
  size_t n, cap;
};

/* Loads STATE/jobs/ID/state.json for every ID; removes leftover
 * STATE/jobs/.new-* from an interrupted submit. */
int store_load(struct store *s, const char *state_dir);
void store_free(struct store *s);
struct job *store_find(struct store *s, const char *id);
/* Takes over `doc`. */
struct job *store_add(struct store *s, const char *id, json_object *doc);
void store_remove(struct store *s, struct job *j);
/* Re-reads state.json when it changed on disk; keeps the old document
 * when the file is missing or garbled. */
void job_refresh(struct store *s, struct job *j);
/* uchd's own write (queued job, or a dead worker's job).  On ENOSPC it
 * frees STATE/uchd.reserve and tries again; a job still not written is
 * marked unsaved, and store_save_pending() tries again. */
int job_save(struct store *s, struct job *j);
void store_save_pending(struct store *s);
/* Whether the file system of the state dir has (almost) no space left. */
bool state_dir_full(const char *state_dir);
enum job_state job_state(const struct job *j);
/* The job's request typed: the one it was created with, or for a job
 * loaded from disk its state.json's parsed (request_load()) the first
 * time it is asked for; NULL (logged) when that does not parse. */
const struct job_request *job_request_of(struct job *j);
const char *job_type(const struct job *j);
const char *job_created_at(const struct job *j);
/* Jobs sorted newest first (refreshed); free the array only. */
struct job **store_sorted(struct store *s, size_t *n);

#endif
