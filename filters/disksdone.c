/* SPDX-License-Identifier: GPL-2.0-or-later */
/* disksdone: an nbdkit filter of UCH's that ends nbdkit once every
 * export it was made for has been read and no client is left.  An
 * export job with "until": "disks-done" (a wave's lane serving several
 * VMs' disks, each read by one copy job, one after the other) loads it
 * so that it ends by itself when its copies are done, without a round
 * to cancel it.
 *
 * disksdone-export=NAME (once per export name, at least once): the
 * exports to be read.  disksdone-idle=SECONDS (5): how long no client
 * may be connected, once every export has been opened, before nbdkit
 * shuts down.  The idle time covers a copy's own gaps between its
 * connections (block status, then nbdcopy, then a verify): a client
 * that connects within it keeps nbdkit up, and the wait starts again
 * when the last client leaves.  disksdone-state=PATH: where the filter
 * says which of the two it is in, a word replaced as a whole (written
 * beside, then renamed): "idle" once every export was opened and no
 * client is left (waiting out disksdone-idle), "serving" when a client
 * comes back.  The export job shows it as its phase, so that the next
 * wave can tell an export that is only waiting to end from one still
 * read.
 *
 * nbdkit_shutdown() is nbdkit's graceful exit (status 0), as the
 * exitlast filter's.  Every call passes through.  Build: the Makefile's
 * $(B)/uch-disksdone-filter.so; used by the export job's nbdkit as
 * --filter=PATH (docs/internals.md, "Exports that end by themselves"). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nbdkit-filter.h>

#define MAX_EXPORTS 256
/* how often the watcher looks (ms) */
#define TICK_MS 100

static char *names[MAX_EXPORTS];
static bool opened[MAX_EXPORTS];
static size_t n_names;
static double idle_s = 5;
static char *state_path;             /* disksdone-state=, or NULL */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned clients;             /* connections open now */
static size_t n_opened;              /* of names[] opened at least once */
static bool stopping;                /* unload: the watcher ends */
static pthread_t watcher;
static bool watcher_started;

static void dd_unload(void)
{
  if (watcher_started) {
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_mutex_unlock(&lock);
    pthread_join(watcher, NULL);
  }
  for (size_t i = 0; i < n_names; i++)
    free(names[i]);
  free(state_path);
}

static int dd_config(nbdkit_next_config *next, nbdkit_backend *nxdata,
                     const char *key, const char *value)
{
  if (strcmp(key, "disksdone-export") == 0) {
    if (n_names >= MAX_EXPORTS) {
      nbdkit_error("disksdone-export: more than %d exports", MAX_EXPORTS);
      return -1;
    }
    for (size_t i = 0; i < n_names; i++)
      if (strcmp(names[i], value) == 0) {
        nbdkit_error("disksdone-export=%s: given twice", value);
        return -1;
      }
    if (!(names[n_names] = strdup(value))) {
      nbdkit_error("strdup: %m");
      return -1;
    }
    n_names++;
    return 0;
  }
  if (strcmp(key, "disksdone-state") == 0) {
    free(state_path);
    if (!(state_path = strdup(value))) {
      nbdkit_error("strdup: %m");
      return -1;
    }
    return 0;
  }
  if (strcmp(key, "disksdone-idle") == 0) {
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (errno || end == value || *end || !(d >= 0.1 && d <= 86400)) {
      nbdkit_error("disksdone-idle=%s: must be seconds from 0.1 to 86400",
                   value);
      return -1;
    }
    idle_s = d;
    return 0;
  }
  return next(nxdata, key, value);
}

static int dd_config_complete(nbdkit_next_config_complete *next,
                              nbdkit_backend *nxdata)
{
  if (n_names == 0) {
    nbdkit_error("disksdone: no disksdone-export= given");
    return -1;
  }
  return next(nxdata);
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "idle" or "serving" into state_path, replaced as a whole; a failure
 * is only logged (the state is shown, not relied on). */
static void state_write(const char *word)
{
  char tmp[4096];
  int fd;

  if (!state_path)
    return;
  snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, word, strlen(word)) != (ssize_t)strlen(word) ||
      close(fd) < 0 || rename(tmp, state_path) < 0) {
    nbdkit_debug("disksdone: %s: %m", state_path);
    if (fd >= 0)
      close(fd);
  }
}

/* Every TICK_MS: once every export was opened and no client is
 * connected, for idle_s without a break, nbdkit shuts down. */
static void *watch(void *arg)
{
  const struct timespec tick = { 0, TICK_MS * 1000000L };
  double idle_since = -1;

  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    bool stop = stopping, done = n_opened == n_names && clients == 0;
    pthread_mutex_unlock(&lock);
    if (stop)
      return NULL;
    if (!done) {
      if (idle_since >= 0)
        state_write("serving");
      idle_since = -1;
    } else if (idle_since < 0) {
      idle_since = now_s();
      state_write("idle");
    }
    else if (now_s() - idle_since >= idle_s) {
      nbdkit_debug("disksdone: every export read, no client for %g s: "
                   "shutting down", idle_s);
      nbdkit_shutdown();
      return NULL;
    }
    nanosleep(&tick, NULL);
  }
}

/* after nbdkit's fork into the background (or not): the thread lives
 * in the process that serves */
static int dd_after_fork(nbdkit_backend *nxdata)
{
  int e = pthread_create(&watcher, NULL, watch, NULL);

  (void)nxdata;
  if (e) {
    nbdkit_error("disksdone: pthread_create: %s", strerror(e));
    return -1;
  }
  watcher_started = true;
  return 0;
}

static void *dd_open(nbdkit_next_open *next, nbdkit_context *nxdata,
                     int readonly, const char *exportname, int is_tls)
{
  if (next(nxdata, readonly, exportname) == -1)
    return NULL;
  (void)is_tls;
  pthread_mutex_lock(&lock);
  clients++;
  for (size_t i = 0; i < n_names; i++)
    if (!opened[i] && strcmp(names[i], exportname) == 0) {
      opened[i] = true;
      n_opened++;
      break;
    }
  pthread_mutex_unlock(&lock);
  return NBDKIT_HANDLE_NOT_NEEDED;
}

static void dd_close(void *handle)
{
  (void)handle;
  pthread_mutex_lock(&lock);
  if (clients > 0)
    clients--;
  pthread_mutex_unlock(&lock);
}

static struct nbdkit_filter filter = {
  .name = "disksdone",
  .longname = "UCH disksdone filter",
  .description = "ends nbdkit once every export was read and no client "
                 "is left",
  .unload = dd_unload,
  .config = dd_config,
  .config_complete = dd_config_complete,
  .config_help =
    "disksdone-export=NAME  An export to be read (once per export).\n"
    "disksdone-idle=SECS    No client this long, all read: exit (5).\n"
    "disksdone-state=PATH   Where to say \"idle\" or \"serving\".",
  .after_fork = dd_after_fork,
  .open = dd_open,
  .close = dd_close,
};

NBDKIT_REGISTER_FILTER(filter)
