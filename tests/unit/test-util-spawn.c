/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one spawn helper: every file action checked and reported by name,
 * the child's signals reset, its group or session, and the parent-death
 * signal set by the child itself (a tool dies with its parent even when
 * the parent is killed outright). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/spawn.h"
#include "tap.h"

/* Runs argv with stdout to a pipe; what it printed (one read's worth). */
static char *capture(struct spawn *s, int *status)
{
  static char buf[8192];
  int p[2];
  size_t len = 0;
  ssize_t n;

  if (pipe2(p, O_CLOEXEC) < 0 || spawn_dup(s, 1, p[1]) < 0)
    return NULL;
  pid_t pid = spawn_start(s);
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    return NULL;
  }
  while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
    len += n;
  close(p[0]);
  buf[len] = '\0';
  spawn_wait(pid, status);
  return buf;
}

static void argv_of(struct argv *a, const char *const *v)
{
  argv_addv(a, v);
}

/* "SigBlk:\t0000000000000000" → the hex as a number */
static unsigned long long status_mask(const char *status, const char *key)
{
  const char *p = strstr(status, key);
  return p ? strtoull(p + strlen(key), NULL, 16) : ~0ULL;
}

int main(void)
{
  struct spawn s;
  int status;
  char *out;

  {
    _cleanup_argv_ struct argv a = { 0 };
    argv_of(&a, (const char *const[]){ "echo", "hello", NULL });
    spawn_init(&s, &a);
    out = capture(&s, &status);
    is_str(out, "hello\n", "runs a program found in PATH, stdout given");
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit 0 waited for");
  }

  {
    _cleanup_argv_ struct argv a = { 0 };
    argv_of(&a, (const char *const[]){ "uch-no-such-tool", NULL });
    spawn_init(&s, &a);
    errno = 0;
    ok(spawn_start(&s) < 0 && errno == ENOENT, "missing program: ENOENT");
    is_str(s.error, "cannot run uch-no-such-tool: No such file or directory",
           "missing program named");
  }

  {
    _cleanup_argv_ struct argv a = { 0 };
    argv_of(&a, (const char *const[]){ "true", NULL });
    spawn_init(&s, &a);
    spawn_open(&s, 0, "/dev/null", O_RDONLY, 0);
    spawn_open(&s, 1, "/nonexistent-dir/job.log", O_WRONLY | O_CREAT, 0644);
    errno = 0;
    ok(spawn_start(&s) < 0 && errno == ENOENT, "a file action that fails "
       "fails the spawn");
    is_str(s.error, "true: cannot open /nonexistent-dir/job.log as fd 1: "
           "No such file or directory", "the file action is named");
    ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
       "the failed child is reaped");
  }

  {
    _cleanup_argv_ struct argv a = { 0 };
    argv_of(&a, (const char *const[]){ "/dev/null", NULL });
    spawn_init(&s, &a);
    errno = 0;
    ok(spawn_start(&s) < 0 && errno == EACCES, "exec failure comes back");
    is_str(s.error, "/dev/null: cannot run: Permission denied",
           "exec failure named");
    spawn_init(&s, &a);
    s.close_others = true;
    errno = 0;
    ok(spawn_start(&s) < 0 && errno == EACCES, "and with every other fd "
       "closed (not the error pipe)");
  }

  {
    /* fd 3 given as fd 3 and fd 4 as 3's neighbour, both close-on-exec
     * here; the rest closed. */
    _cleanup_argv_ struct argv a = { 0 };
    int q[2], r;
    argv_of(&a, (const char *const[]){ "sh", "-c",
            "echo three >&3; ls /proc/self/fd | sort -n | tr '\\n' ' '",
            NULL });
    r = pipe2(q, O_CLOEXEC);
    ok(r == 0, "pipe");
    int extra = fcntl(q[1], F_DUPFD_CLOEXEC, 3);
    int leak = open("/dev/null", O_RDONLY);       /* not close-on-exec */
    spawn_init(&s, &a);
    spawn_dup(&s, 3, extra);
    s.close_others = true;
    out = capture(&s, &status);
    close(extra);
    close(leak);
    close(q[1]);
    char three[16] = "";
    ssize_t n = read(q[0], three, sizeof three - 1);
    three[n > 0 ? n : 0] = '\0';
    close(q[0]);
    is_str(three, "three\n", "a source fd that is also a target survives");
    /* 0 1 2 3, and 4: the fd ls opens to read the folder */
    is_str(out, "0 1 2 3 4 ", "only the fds set up are open");
  }

  {
    /* SIGTERM blocked and SIGPIPE ignored here: not in the child. */
    _cleanup_argv_ struct argv a = { 0 };
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal(SIGPIPE, SIG_IGN);
    argv_of(&a, (const char *const[]){ "cat", "/proc/self/status", NULL });
    spawn_init(&s, &a);
    out = capture(&s, &status);
    ok(out && status_mask(out, "SigBlk:") == 0, "nothing blocked in the child");
    ok(out && status_mask(out, "SigIgn:") == 0, "nothing ignored in the "
       "child (SigIgn %llx)", out ? status_mask(out, "SigIgn:") : 0);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
  }

  {
    _cleanup_argv_ struct argv a = { 0 };
    int pid = 0, pgrp = 0, sid = 0;
    argv_of(&a, (const char *const[]){ "cat", "/proc/self/stat", NULL });
    spawn_init(&s, &a);
    s.group = SPAWN_GROUP_NEW;
    out = capture(&s, &status);
    sscanf(out ? strrchr(out, ')') + 2 : "", "%*c %*d %d %d", &pgrp, &sid);
    sscanf(out ? out : "", "%d", &pid);
    ok(pid > 0 && pgrp == pid && sid == getsid(0), "its own process group");

    spawn_init(&s, &a);
    s.group = SPAWN_SESSION_NEW;
    out = capture(&s, &status);
    sscanf(out ? strrchr(out, ')') + 2 : "", "%*c %*d %d %d", &pgrp, &sid);
    sscanf(out ? out : "", "%d", &pid);
    ok(pid > 0 && pgrp == pid && sid == pid, "its own session");
  }

  {
    _cleanup_argv_ struct argv a = { 0 };
    char *env[] = { "UCH_SPAWN_TEST=yes", NULL };
    argv_of(&a, (const char *const[]){ "/bin/sh", "-c",
            "echo \"$UCH_SPAWN_TEST\"", NULL });
    spawn_init(&s, &a);
    s.envp = env;
    out = capture(&s, &status);
    is_str(out, "yes\n", "the environment given");
  }

  {
    /* A middle process spawns `sleep 300` and is killed outright; as
     * the subreaper we get the sleep back and see how it died. */
    int p[2];
    pid_t sleeper = 0, middle;
    ok(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "subreaper");
    ok(pipe(p) == 0, "pipe");
    middle = fork();
    if (middle == 0) {
      _cleanup_argv_ struct argv a = { 0 };
      struct spawn m;
      /* 30 s: were the signal not sent, the test would fail, not hang */
      argv_of(&a, (const char *const[]){ "sleep", "30", NULL });
      spawn_init(&m, &a);
      spawn_open(&m, 1, "/dev/null", O_WRONLY, 0);
      pid_t pid = spawn_start(&m);
      if (write(p[1], &pid, sizeof pid) != sizeof pid)
        _exit(1);
      pause();
      _exit(0);
    }
    close(p[1]);
    ok(read(p[0], &sleeper, sizeof sleeper) == sizeof sleeper && sleeper > 0,
       "the middle process spawned sleep");
    close(p[0]);
    kill(middle, SIGKILL);
    spawn_wait(middle, NULL);
    ok(spawn_wait(sleeper, &status) == 0 && WIFSIGNALED(status) &&
       WTERMSIG(status) == SIGKILL, "the tool died with its parent (SIGKILL)");
  }

  {
    /* uchd's workers outlive it: no parent-death signal. */
    int p[2];
    pid_t sleeper = 0, middle;
    ok(pipe(p) == 0, "pipe");
    middle = fork();
    if (middle == 0) {
      _cleanup_argv_ struct argv a = { 0 };
      struct spawn m;
      argv_of(&a, (const char *const[]){ "sleep", "300", NULL });
      spawn_init(&m, &a);
      m.deathsig = 0;
      m.group = SPAWN_SESSION_NEW;
      pid_t pid = spawn_start(&m);
      if (write(p[1], &pid, sizeof pid) != sizeof pid)
        _exit(1);
      _exit(0);
    }
    close(p[1]);
    ok(read(p[0], &sleeper, sizeof sleeper) == sizeof sleeper && sleeper > 0,
       "the middle process spawned sleep");
    close(p[0]);
    spawn_wait(middle, NULL);
    ok(waitpid(sleeper, &status, WNOHANG) == 0, "without a deathsig it lives on");
    kill(sleeper, SIGKILL);
    spawn_wait(sleeper, NULL);
  }

  return tap_done();
}
