/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/spawn.h"

extern char **environ;

/* Steps of the child before exec, as reported through the error pipe;
 * 0..SPAWN_FDS_MAX-1 are the file actions. */
enum {
  STEP_SIGNALS = SPAWN_FDS_MAX,
  STEP_GROUP,
  STEP_DEATHSIG,
  STEP_PARENT_GONE,
  STEP_MOVE_FD,
  STEP_EXEC,
};

/* struct sigaction as the kernel's rt_sigaction takes it */
struct kernel_sigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

struct spawn_report {
  int step;
  int err;
};

void spawn_init(struct spawn *s, const struct argv *argv)
{
  memset(s, 0, sizeof *s);
  s->argv = argv;
  s->deathsig = SIGKILL;
}

static struct spawn_fd *next_fd(struct spawn *s, int child_fd)
{
  if (s->nfds >= SPAWN_FDS_MAX || child_fd < 0) {
    errno = child_fd < 0 ? EBADF : EMFILE;
    return NULL;
  }
  struct spawn_fd *f = &s->fds[s->nfds++];
  memset(f, 0, sizeof *f);
  f->child_fd = child_fd;
  f->parent_fd = -1;
  return f;
}

int spawn_open(struct spawn *s, int child_fd, const char *path, int flags,
               mode_t mode)
{
  struct spawn_fd *f = next_fd(s, child_fd);
  if (!f)
    return -1;
  f->path = path;
  f->flags = flags;
  f->mode = mode;
  return 0;
}

int spawn_dup(struct spawn *s, int child_fd, int parent_fd)
{
  struct spawn_fd *f = next_fd(s, child_fd);
  if (!f)
    return -1;
  if (parent_fd < 0) {
    s->nfds--;
    errno = EBADF;
    return -1;
  }
  f->parent_fd = parent_fd;
  return 0;
}

char *spawn_find_program(const char *program)
{
  const char *path = getenv("PATH");
  _cleanup_free_ char *dirs = NULL;
  char *save = NULL, *full = NULL;
  int err = ENOENT;

  if (!program || !*program) {
    errno = ENOENT;
    return NULL;
  }
  if (strchr(program, '/'))
    return strdup(program);
  if (!(dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin")))
    return NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    struct stat st;
    if (asprintf(&full, "%s/%s", d, program) < 0)
      return NULL;
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(full, X_OK) == 0)
        return full;
      err = EACCES;
    }
    free(full);
    full = NULL;
  }
  errno = err;
  return NULL;
}

/* Below: the child, between fork and exec.  Only async-signal-safe calls
 * (the worker has threads: libnbd's, the resumable copy's). */

static __attribute__((noreturn)) void child_fail(int pipe_fd, int step)
{
  struct spawn_report rep = { .step = step, .err = errno };
  ssize_t r = write(pipe_fd, &rep, sizeof rep);
  (void)r;
  _exit(127);
}

/* Closes every fd from FIRST on but KEEP (the error pipe). */
static void close_from(int first, int keep)
{
  if ((keep <= first || close_range(first, keep - 1, 0) == 0) &&
      close_range(keep < first ? first : keep + 1, ~0U, 0) == 0)
    return;
  struct rlimit rl;
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
            ? (int)rl.rlim_cur : 65536;
  for (int fd = first; fd < max; fd++)
    if (fd != keep)
      close(fd);
}

static __attribute__((noreturn)) void
child_run(const struct spawn *s, const char *program, char *const *envp,
          pid_t parent, int pipe_fd)
{
  int high = 3, moved[SPAWN_FDS_MAX];
  struct kernel_sigaction dfl;
  sigset_t none;

  /* The kernel's call, not glibc's sigaction, which refuses to touch
   * the two signals it keeps for itself (32, 33), as glibc's own
   * posix_spawn does: an ignored one would stay ignored past exec.
   * All zeros is SIG_DFL, no flags, empty mask, whatever the layout. */
  memset(&dfl, 0, sizeof dfl);
  dfl.handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
    child_fail(pipe_fd, STEP_SIGNALS);

  if (s->group == SPAWN_GROUP_NEW && setpgid(0, 0) < 0)
    child_fail(pipe_fd, STEP_GROUP);
  if (s->group == SPAWN_SESSION_NEW && setsid() < 0)
    child_fail(pipe_fd, STEP_GROUP);
  if (s->deathsig) {
    if (prctl(PR_SET_PDEATHSIG, s->deathsig) < 0)
      child_fail(pipe_fd, STEP_DEATHSIG);
    /* We may have died before prctl: then nobody would send it. */
    if (getppid() != parent) {
      errno = ESRCH;
      child_fail(pipe_fd, STEP_PARENT_GONE);
    }
  }

  /* Every fd we are given, and the error pipe, first go above every
   * target, so no target overwrites a source. */
  for (size_t i = 0; i < s->nfds; i++)
    if (s->fds[i].child_fd >= high)
      high = s->fds[i].child_fd + 1;
  if ((pipe_fd = fcntl(pipe_fd, F_DUPFD_CLOEXEC, high)) < 0)
    _exit(127);         /* cannot even say why */
  for (size_t i = 0; i < s->nfds; i++) {
    moved[i] = -1;
    if (s->fds[i].parent_fd >= 0 &&
        (moved[i] = fcntl(s->fds[i].parent_fd, F_DUPFD_CLOEXEC, high)) < 0)
      child_fail(pipe_fd, STEP_MOVE_FD);
  }
  for (size_t i = 0; i < s->nfds; i++) {
    const struct spawn_fd *f = &s->fds[i];
    int fd = moved[i];
    if (f->parent_fd < 0 &&
        (fd = open(f->path, f->flags | O_CLOEXEC, f->mode)) < 0)
      child_fail(pipe_fd, (int)i);
    if (fd == f->child_fd) {
      if (fcntl(fd, F_SETFD, 0) < 0)
        child_fail(pipe_fd, (int)i);
    } else {
      if (dup2(fd, f->child_fd) < 0)
        child_fail(pipe_fd, (int)i);
      close(fd);
    }
  }
  if (s->close_others)
    close_from(high, pipe_fd);  /* the error pipe is close-on-exec */

  execve(program, s->argv->v, envp);
  child_fail(pipe_fd, STEP_EXEC);
}

/* Back in the parent. */

static void describe(struct spawn *s, const char *name, int step, int err)
{
  const struct spawn_fd *f = step >= 0 && step < (int)s->nfds ? &s->fds[step]
                                                                : NULL;
  if (f && f->parent_fd < 0)
    snprintf(s->error, sizeof s->error, "%s: cannot open %s as fd %d: %s",
             name, f->path, f->child_fd, strerror(err));
  else if (f)
    snprintf(s->error, sizeof s->error, "%s: cannot give fd %d as fd %d: %s",
             name, f->parent_fd, f->child_fd, strerror(err));
  else
    snprintf(s->error, sizeof s->error, "%s: cannot %s: %s", name,
             step == STEP_SIGNALS ? "reset its signals"
             : step == STEP_GROUP ? "make its process group"
             : step == STEP_DEATHSIG ? "set its parent-death signal"
             : step == STEP_PARENT_GONE ? "start: its parent is gone"
             : step == STEP_MOVE_FD ? "move its fds"
             : "run", strerror(err));
}

pid_t spawn_start(struct spawn *s)
{
  const char *name = s->argv && s->argv->v ? s->argv->v[0] : NULL;
  _cleanup_free_ char *program = NULL;
  struct spawn_report rep;
  sigset_t all, old;
  int p[2], err;
  pid_t parent = getpid(), pid;
  ssize_t n;

  s->error[0] = '\0';
  if (!name) {
    snprintf(s->error, sizeof s->error, "no program to run");
    errno = EINVAL;
    return -1;
  }
  if (!(program = spawn_find_program(name))) {
    err = errno;
    snprintf(s->error, sizeof s->error, "cannot run %s: %s", name,
             strerror(err));
    errno = err;
    return -1;
  }
  if (pipe2(p, O_CLOEXEC) < 0) {
    err = errno;
    snprintf(s->error, sizeof s->error, "%s: pipe: %s", name, strerror(err));
    errno = err;
    return -1;
  }
  /* No handler of ours may run in the child before it resets them. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if (pid == 0) {
    close(p[0]);
    child_run(s, program, s->envp ? s->envp : environ, parent, p[1]);
  }
  err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    snprintf(s->error, sizeof s->error, "%s: fork: %s", name, strerror(err));
    errno = err;
    return -1;
  }
  while ((n = read(p[0], &rep, sizeof rep)) < 0 && errno == EINTR)
    ;
  close(p[0]);
  if (n == 0)
    return pid;         /* exec closed the pipe */
  if (n != sizeof rep) {
    rep.step = STEP_EXEC;
    rep.err = n < 0 ? errno : EIO;
  }
  spawn_wait(pid, NULL);
  describe(s, name, rep.step, rep.err);
  errno = rep.err;
  return -1;
}

int spawn_wait(pid_t pid, int *status)
{
  int st, r;

  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
    ;
  if (r >= 0 && status)
    *status = st;
  return r < 0 ? -1 : 0;
}
