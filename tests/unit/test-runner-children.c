/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tools run in their own process groups, their output lands in job.log
 * prefixed with the tool's name, the last error-looking line is kept for
 * the job's error, and nothing they start outlives the worker. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner/children.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "tap.h"

static struct child *sh(struct children *c, const char *script)
{
  _cleanup_argv_ struct argv a = { 0 };
  argv_add(&a, "sh");
  argv_add(&a, "-c");
  argv_add(&a, script);
  return child_spawn(c, "sh", &a, -1);
}

int main(void)
{
  char logpath[] = "/tmp/test-runner-children.XXXXXX";
  int log_fd = mkstemp(logpath);
  struct children c;
  struct child *ch;
  char why[512];
  _cleanup_free_ char *log = NULL;
  size_t len;

  ok(children_init(&c, log_fd) == 0, "init");

  ch = sh(&c, "echo hello; echo 'nbdkit: error: /x: No such file' >&2; "
              "printf 'no newline at end'; exit 3");
  ok(ch != NULL, "spawned");
  ok(child_wait(&c, ch) == 0, "waited");
  ok(!child_succeeded(ch), "exit 3 is a failure");
  is_str(ch->last_error, "nbdkit: error: /x: No such file", "last error line");
  is_str(ch->last_line, "no newline at end", "unterminated last line kept");
  child_describe_failure(ch, why, sizeof why);
  is_str(why, "sh: nbdkit: error: /x: No such file",
         "failure in the tool's words, named");
  child_release(&c, ch);

  ch = sh(&c, "echo 'sh: cannot open /y' >&2; exit 1");
  child_wait(&c, ch);
  child_describe_failure(ch, why, sizeof why);
  is_str(why, "sh: cannot open /y", "the tool's name is not repeated");
  child_release(&c, ch);

  ch = sh(&c, "exit 0");
  child_wait(&c, ch);
  ok(child_succeeded(ch), "exit 0 succeeds");
  child_release(&c, ch);

  ch = sh(&c, "kill -9 $$");
  child_wait(&c, ch);
  child_describe_failure(ch, why, sizeof why);
  is_str(why, "sh was killed by signal 9", "death by signal described");
  child_release(&c, ch);

  ch = sh(&c, "echo $$ $(ps -o pgid= $$)");
  child_wait(&c, ch);
  {
    int pid = 0, pgid = -1;
    sscanf(ch->last_line, "%d %d", &pid, &pgid);
    ok(pid > 0 && pid == pgid, "the tool leads its own process group");
  }
  child_release(&c, ch);

  {
    _cleanup_argv_ struct argv a = { 0 };
    argv_add(&a, "uch-no-such-tool");
    errno = 0;
    ok(child_spawn(&c, "nope", &a, -1) == NULL && errno == ENOENT,
       "a missing tool fails the spawn with ENOENT");
  }

  /* A cancel (SIGTERM to us): the one wait stops the child, or lets a
   * child that must not stop half way run to its end. */
  ch = sh(&c, "exec sleep 300");
  kill(getpid(), SIGTERM);
  ok(child_wait(&c, ch) == -1 && c.cancelled, "a cancel ends the wait");
  ok(ch->exited && WIFSIGNALED(ch->status) && WTERMSIG(ch->status) == SIGTERM,
     "and stops the child (SIGTERM, reaped)");
  child_stop(&c, ch);       /* again: nothing */
  child_release(&c, ch);
  ch = sh(&c, "sleep 1; echo done; exit 5");
  ok(child_wait_for(&c, ch, CHILD_CANCEL_WAITS) == 0, "a wait that a cancel "
     "does not stop");
  ok(ch->exited && WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 5,
     "runs the child to its end");
  is_str(ch->last_line, "done", "its output read to the end");
  child_release(&c, ch);
  c.cancelled = false;

  /* CHILDREN_MAX at once, each polled (children_poll asserts it has
   * room for every one); one more is refused, never skipped. */
  {
    _cleanup_argv_ struct argv a = { 0 };
    size_t n = 0;
    argv_add(&a, "sleep");
    argv_add(&a, "300");
    for (size_t i = 0; i < CHILDREN_MAX; i++)
      n += child_spawn(&c, "sleep", &a, -1) != NULL;
    is_int((long long)n, CHILDREN_MAX, "CHILDREN_MAX children run");
    errno = 0;
    ok(sh(&c, "exit 0") == NULL && errno == EMFILE, "one more: EMFILE");
    is_int(children_poll(&c, -1, 0), 0, "all of them polled");
    children_done(&c);
    ok(c.list == NULL, "all stopped and reaped");
    ok(children_init(&c, log_fd) == 0, "init again");
  }

  /* A grandchild in its own session: reparented to us, still killed. */
  ch = sh(&c, "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!; exit 0");
  child_wait(&c, ch);
  pid_t orphan = atoi(ch->last_line);
  ok(orphan > 0 && kill(orphan, 0) == 0, "orphan running");
  struct child *sleeper = sh(&c, "exec sleep 300");
  children_done(&c);
  ok(kill(orphan, 0) < 0 && errno == ESRCH, "orphan killed and reaped");
  (void)sleeper;

  read_file(logpath, &log, &len);
  ok(log && strstr(log, "\nsh: hello\n"), "output prefixed in job.log");
  ok(log && strstr(log, "uch-job: running sh -c 'exit 0'\n"),
     "command lines logged");
  ok(log && strstr(log, "uch-job: cannot run uch-no-such-tool: No such file "
                   "or directory\n"), "why a spawn failed is logged");
  unlink(logpath);
  close(log_fd);
  return tap_done();
}
