/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/children.h"
#include "util/cleanup.h"
#include "util/spawn.h"

static void sigset_worker(sigset_t *s)
{
  sigemptyset(s);
  sigaddset(s, SIGTERM);
  sigaddset(s, SIGINT);
  sigaddset(s, SIGCHLD);
}

int children_block_signals(void)
{
  sigset_t s;
  sigset_worker(&s);
  return sigprocmask(SIG_BLOCK, &s, NULL);
}

int children_init(struct children *c, int log_fd)
{
  sigset_t s;

  memset(c, 0, sizeof *c);
  c->log_fd = log_fd;
  c->sig_fd = -1;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    return -1;
  sigset_worker(&s);
  if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
    return -1;
  /* A tool closing its end of a pipe must not kill us. */
  signal(SIGPIPE, SIG_IGN);
  c->sig_fd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
  return c->sig_fd < 0 ? -1 : 0;
}

void children_log(struct children *c, const char *prefix, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL, *line = NULL;
  va_list ap;
  int n;

  if (c->log_fd < 0)
    return;
  va_start(ap, fmt);
  n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  n = asprintf(&line, "%s: %s\n", prefix, msg);
  if (n > 0 && write(c->log_fd, line, n) < 0) {
    /* job.log is best effort: the state file is what matters */
  }
}

static bool looks_like_error(const char *line)
{
  static const char *const words[] = {
    "error", "fail", "cannot", "can't", "could not", "denied", "refused",
    "no such", "invalid", "not found", "unable", "timed out", NULL,
  };
  for (int i = 0; words[i]; i++)
    if (strcasestr(line, words[i]))
      return true;
  return false;
}

static void child_line(struct children *c, struct child *ch, char *line)
{
  size_t n = strlen(line);
  if (n && line[n - 1] == '\r')
    line[--n] = '\0';
  if (!n)
    return;
  if (ch->on_line) {
    ch->on_line(ch, line);
    return;
  }
  children_log(c, ch->tool, "%s", line);
  snprintf(ch->last_line, sizeof ch->last_line, "%s", line);
  if (looks_like_error(line))
    snprintf(ch->last_error, sizeof ch->last_error, "%s", line);
}

/* Reads what is there; splits lines; an over-long line is cut. */
static void child_read(struct children *c, struct child *ch)
{
  for (;;) {
    ssize_t r = read(ch->out_fd, ch->buf + ch->len, sizeof ch->buf - 1 - ch->len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0 && errno == EAGAIN)
      return;
    if (r <= 0) {
      if (ch->len) {
        ch->buf[ch->len] = '\0';
        child_line(c, ch, ch->buf);
        ch->len = 0;
      }
      close(ch->out_fd);
      ch->out_fd = -1;
      return;
    }
    ch->len += r;
    ch->buf[ch->len] = '\0';
    char *start = ch->buf, *nl;
    while ((nl = strchr(start, '\n'))) {
      *nl = '\0';
      child_line(c, ch, start);
      start = nl + 1;
    }
    ch->len -= start - ch->buf;
    memmove(ch->buf, start, ch->len);
    if (ch->len == sizeof ch->buf - 1) {
      ch->buf[ch->len] = '\0';
      child_line(c, ch, ch->buf);
      ch->len = 0;
    }
  }
}

struct child *child_spawn(struct children *c, const char *tool,
                          const struct argv *a, int extra_fd)
{
  return child_spawn_env(c, tool, a, extra_fd, NULL);
}

struct child *child_spawn_env(struct children *c, const char *tool,
                              const struct argv *a, int extra_fd,
                              char *const *envp)
{
  _cleanup_free_ char *cmd = NULL;
  _cleanup_close_ int out_w = -1;
  struct spawn s;
  struct child *ch;
  int pipefd[2];
  size_t n = 0;

  for (ch = c->list; ch; ch = ch->next)
    n++;
  if (n >= CHILDREN_MAX) {
    errno = EMFILE;
    return NULL;
  }
  cmd = argv_join(a);
  if (!(ch = calloc(1, sizeof *ch)))
    return NULL;
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    free(ch);
    return NULL;
  }
  out_w = pipefd[1];
  /* Its own process group (child_stop signals the group), and SIGKILL
   * when the worker dies, even killed outright (-9). */
  spawn_init(&s, a);
  s.envp = envp;
  s.group = SPAWN_GROUP_NEW;
  s.deathsig = SIGKILL;
  if (spawn_open(&s, 0, "/dev/null", O_RDONLY, 0) < 0 ||
      spawn_dup(&s, 1, out_w) < 0 || spawn_dup(&s, 2, out_w) < 0 ||
      (extra_fd >= 0 && spawn_dup(&s, 3, extra_fd) < 0))
    goto fail;
  children_log(c, "uch-job", "running %s", cmd ? cmd : a->v[0]);
  if ((ch->pid = spawn_start(&s)) < 0) {
    int err = errno;
    children_log(c, "uch-job", "%s", s.error);
    errno = err;
    goto fail;
  }
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  ch->out_fd = pipefd[0];
  snprintf(ch->tool, sizeof ch->tool, "%s", tool);
  ch->next = c->list;
  c->list = ch;
  return ch;

fail: {
    int err = errno;
    close(pipefd[0]);
    free(ch);
    errno = err;
    return NULL;
  }
}

static struct child *child_by_pid(struct children *c, pid_t pid)
{
  for (struct child *ch = c->list; ch; ch = ch->next)
    if (ch->pid == pid && !ch->exited)
      return ch;
  return NULL;
}

/* Reaps every exited child, ours or reparented to us. */
static void reap(struct children *c)
{
  int status;
  pid_t pid;

  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    struct child *ch = child_by_pid(c, pid);
    if (!ch)
      continue;
    ch->exited = true;
    ch->status = status;
    if (ch->out_fd >= 0)
      child_read(c, ch);    /* whatever it wrote last */
  }
}

static void read_signals(struct children *c)
{
  struct signalfd_siginfo si;

  while (read(c->sig_fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
      if (!c->cancelled)
        children_log(c, "uch-job", "signal %u: cancelling", si.ssi_signo);
      c->cancelled = true;
    }
  }
}

int children_poll(struct children *c, int extra_fd, int timeout_ms)
{
  /* the signalfd, extra_fd and one per child */
  struct pollfd fds[CHILDREN_MAX + 2];
  struct child *owner[CHILDREN_MAX + 2];
  size_t n = 0;
  int r, extra_ready = 0;

  fds[n].fd = c->sig_fd;
  fds[n++].events = POLLIN;
  if (extra_fd >= 0) {
    fds[n].fd = extra_fd;
    fds[n++].events = POLLIN;
  }
  size_t first_child = n;
  for (struct child *ch = c->list; ch; ch = ch->next) {
    if (ch->out_fd < 0)
      continue;
    assert(n < sizeof fds / sizeof fds[0]);    /* child_spawn's limit */
    owner[n] = ch;
    fds[n].fd = ch->out_fd;
    fds[n++].events = POLLIN;
  }
  r = poll(fds, n, timeout_ms);
  if (r < 0)
    return errno == EINTR ? 0 : -1;
  if (extra_fd >= 0 && fds[1].revents)
    extra_ready = 1;
  for (size_t i = first_child; i < n; i++)
    if (fds[i].revents)
      child_read(c, owner[i]);
  if (fds[0].revents)
    read_signals(c);
  reap(c);
  return extra_ready;
}

int child_wait_for(struct children *c, struct child *ch,
                   enum child_on_cancel on_cancel)
{
  while (!ch->exited || ch->out_fd >= 0) {
    if (c->cancelled && on_cancel == CHILD_CANCEL_STOPS) {
      child_stop(c, ch);
      return -1;
    }
    /* The tool may have handed its output pipe to a grandchild; once it
     * has exited, what is left is read without waiting for EOF. */
    if (ch->exited) {
      child_read(c, ch);
      break;
    }
    if (children_poll(c, -1, 200) < 0) {
      if (on_cancel == CHILD_CANCEL_STOPS)
        child_stop(c, ch);
      return -1;
    }
  }
  return 0;
}

int child_wait(struct children *c, struct child *ch)
{
  return child_wait_for(c, ch, CHILD_CANCEL_STOPS);
}

void child_release(struct children *c, struct child *ch)
{
  for (struct child **p = &c->list; *p; p = &(*p)->next) {
    if (*p == ch) {
      *p = ch->next;
      if (ch->out_fd >= 0)
        close(ch->out_fd);
      free(ch);
      return;
    }
  }
}

bool child_succeeded(const struct child *ch)
{
  return ch->exited && WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 0;
}

void child_describe_failure(const struct child *ch, char *buf, size_t len)
{
  const char *words = ch->last_error[0] ? ch->last_error : ch->last_line;
  size_t tl = strlen(ch->tool);

  /* Tools mostly start their messages with their own name already. */
  if (words[0] && strncmp(words, ch->tool, tl) == 0 && words[tl] == ':')
    snprintf(buf, len, "%s", words);
  else if (words[0])
    snprintf(buf, len, "%s: %s", ch->tool, words);
  else if (ch->exited && WIFSIGNALED(ch->status))
    snprintf(buf, len, "%s was killed by signal %d", ch->tool,
             WTERMSIG(ch->status));
  else if (ch->exited)
    snprintf(buf, len, "%s exited with status %d", ch->tool,
             WEXITSTATUS(ch->status));
  else
    snprintf(buf, len, "%s is still running", ch->tool);
}
