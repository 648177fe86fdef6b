/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one way our programs start a child: uchd its workers, the worker
 * its tools, the checks the tools they ask.  fork + exec, as nbdkit and
 * libnbd do, because posix_spawn cannot set a parent-death signal: the
 * child sets it itself with prctl(PR_SET_PDEATHSIG) before exec.  Any
 * step that fails before exec (a file action, the signal, exec itself)
 * comes back to the parent through a close-on-exec pipe, as errno and
 * the step it failed at.
 *
 * Every child starts with nothing blocked and every signal at its
 * default, whatever the parent blocked or ignored (uchd and the worker
 * block SIGCHLD, SIGTERM, SIGINT for their signalfd and ignore SIGPIPE). */
#ifndef UCH_SPAWN_H
#define UCH_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/argv.h"

#define SPAWN_FDS_MAX 6

struct spawn_fd {
  int child_fd;
  int parent_fd;            /* >= 0: this fd of ours; -1: path opened */
  const char *path;
  int flags;
  mode_t mode;
};

enum spawn_group {
  SPAWN_GROUP_SAME,         /* our process group */
  SPAWN_GROUP_NEW,          /* its own process group (setpgid(0, 0)) */
  SPAWN_SESSION_NEW,        /* its own session (setsid) */
};

struct spawn {
  const struct argv *argv;  /* v[0] looked up in PATH unless it has a '/' */
  char *const *envp;        /* NULL: ours */
  struct spawn_fd fds[SPAWN_FDS_MAX];
  size_t nfds;
  enum spawn_group group;
  int deathsig;             /* sent to the child when we die; 0: none */
  bool close_others;        /* close every fd past the ones set up */
  char error[512];          /* why spawn_start failed, in words */
};

/* A child of argv with its stdin, stdout and stderr ours, killed with
 * SIGKILL when we die. */
void spawn_init(struct spawn *s, const struct argv *argv);
/* CHILD_FD is PATH opened with FLAGS (and MODE).  -1 (EMFILE) past
 * SPAWN_FDS_MAX. */
int spawn_open(struct spawn *s, int child_fd, const char *path, int flags,
               mode_t mode);
/* CHILD_FD is a copy of our PARENT_FD as it is here, before any file
 * action (it may be the same number; close-on-exec or not). */
int spawn_dup(struct spawn *s, int child_fd, int parent_fd);

/* Starts the child.  Its pid, or -1 with errno and s->error naming the
 * program and the step that failed ("cannot open /x as fd 1: ...",
 * "cannot run nbdkit: No such file or directory"); a child that failed
 * before exec is reaped. */
pid_t spawn_start(struct spawn *s);

/* waitpid(pid, status, 0), again after EINTR. */
int spawn_wait(pid_t pid, int *status);

/* PROGRAM as exec would find it: itself when it has a '/', else the
 * first executable regular file of that name in $PATH.  NULL with
 * errno (ENOENT, EACCES, ENOMEM). */
char *spawn_find_program(const char *program);

#endif
