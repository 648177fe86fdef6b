/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker's children: every tool runs in its own process group with
 * its stdout and stderr captured line by line into job.log.  The worker
 * is a child subreaper, so whatever a tool leaves behind comes back to us
 * and is killed and reaped before we exit. */
#ifndef UCH_CHILDREN_H
#define UCH_CHILDREN_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/argv.h"

/* At most this many children at once (each has a pipe children_poll
 * watches); child_spawn fails with EMFILE past it. */
#define CHILDREN_MAX 62

struct child {
  struct child *next;
  pid_t pid;
  char tool[24];
  int out_fd;               /* read end of stdout+stderr, -1 at EOF */
  char buf[4096];           /* partial line */
  size_t len;
  bool exited;
  int status;               /* as from waitpid */
  bool stopped;             /* child_stop was done: again does nothing */
  char last_line[512];
  char last_error[512];     /* last line that looks like an error */
  /* When set, output lines go here instead of job.log (a tool whose
   * output is data, not messages). */
  void (*on_line)(struct child *ch, const char *line);
  void *opaque;
};

struct children {
  struct child *list;
  int sig_fd;               /* signalfd: SIGTERM, SIGINT, SIGCHLD */
  int log_fd;               /* job.log, -1 for none */
  bool cancelled;           /* SIGTERM or SIGINT arrived */
};

/* Holds SIGTERM, SIGINT and SIGCHLD back from the start, so a cancel
 * that comes early is seen (as pending) once the signalfd exists. */
int children_block_signals(void);
/* Becomes a subreaper, blocks the signals and opens the signalfd. */
int children_init(struct children *c, int log_fd);
/* Kills everything still running, reaps it, frees the list. */
void children_done(struct children *c);

/* Spawns argv (util/spawn.h) in a new process group, stdin /dev/null,
 * stdout and stderr to the worker, with SIGKILL as its parent-death
 * signal, so it dies with the worker even when the worker is killed
 * outright.  When extra_fd >= 0 it becomes the child's fd 3 (nbdcopy
 * --progress=3).  NULL with errno on failure (EMFILE: CHILDREN_MAX are
 * running), the reason also in job.log. */
struct child *child_spawn(struct children *c, const char *tool,
                          const struct argv *a, int extra_fd);
/* The same with envp as its environment (NULL: ours). */
struct child *child_spawn_env(struct children *c, const char *tool,
                              const struct argv *a, int extra_fd,
                              char *const *envp);

/* One round: reads signals, child output and reaps.  Returns 1 when
 * extra_fd (if >= 0) is readable, 0 on timeout, -1 on error. */
int children_poll(struct children *c, int extra_fd, int timeout_ms);

/* What a cancel (SIGTERM, SIGINT) does to a wait. */
enum child_on_cancel {
  CHILD_CANCEL_STOPS,       /* the child is stopped (child_stop), -1 */
  CHILD_CANCEL_WAITS,       /* nothing: the child runs to its end (a
                             * commit that must not stop half way) */
};
/* The one wait: until the child has exited and its output is read (0),
 * or, with CHILD_CANCEL_STOPS, until a cancel (-1 with c->cancelled
 * set, the child stopped and reaped).  c->cancelled stays as it was. */
int child_wait_for(struct children *c, struct child *ch,
                   enum child_on_cancel on_cancel);
/* child_wait_for(c, ch, CHILD_CANCEL_STOPS) */
int child_wait(struct children *c, struct child *ch);
/* SIGTERM to its group, SIGKILL after a few seconds, reaped; once. */
void child_stop(struct children *c, struct child *ch);
/* Forgets an exited child. */
void child_release(struct children *c, struct child *ch);

bool child_succeeded(const struct child *ch);
/* The tool's own words for why it failed ("nbdkit: error: ..."), or
 * how it exited. */
void child_describe_failure(const struct child *ch, char *buf, size_t len);

/* Appends "prefix: line\n" to job.log. */
void children_log(struct children *c, const char *prefix, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

#endif
