/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/v2v-ssh.h"
#include "jobs/request.h"
#include "util/cleanup.h"

int ssh_agent_argv(struct argv *a, const char *sock)
{
  const char *const list[] = { "ssh-agent", "-D", "-a", sock, NULL };
  return argv_addv(a, list);
}

int ssh_add_argv(struct argv *a, const char *key_file)
{
  const char *const list[] = { "ssh-add", key_file, NULL };
  return argv_addv(a, list);
}

static int run_ssh_add(struct runner *r, const char *key, struct job_failure *f)
{
  _cleanup_argv_ struct argv a = { 0 };
  struct child *ch;
  char why[512];

  if (ssh_add_argv(&a, key) < 0 || !(ch = child_spawn(&r->kids, "ssh-add", &a, -1))) {
    failure_set(f, "tool_failed", "ssh-add: cannot run: %s", strerror(errno));
    return -1;
  }
  if (child_wait(&r->kids, ch) < 0) {
    child_stop(&r->kids, ch);
    failure_set(f, "cancelled", "cancelled");
    return -1;
  }
  if (!child_succeeded(ch)) {
    child_describe_failure(ch, why, sizeof why);
    failure_set(f, "ssh_key_rejected", "the ssh key cannot be used "
                "(a key with a passphrase is not supported): %s", why);
    child_release(&r->kids, ch);
    return -1;
  }
  child_release(&r->kids, ch);
  return 0;
}

int v2v_ssh_start(struct runner *r, const struct convert_request *req,
                  struct v2v_ssh *s, struct job_failure *f)
{
  _cleanup_free_ char *key = NULL;
  _cleanup_argv_ struct argv a = { 0 };
  struct stat st;

  if (req->input.kind != CONVERT_IN_VMX_SSH)
    return 0;
  key = secret_path(r->rt_dir, "input.vmx.ssh.key_file");
  if (!key || asprintf(&s->sock, "%s/ssh-agent.sock", r->rt_dir) < 0) {
    failure_set(f, "internal", "%s: %s", r->rt_dir, strerror(errno));
    return -1;
  }
  if (ssh_agent_argv(&a, s->sock) < 0 ||
      !(s->agent = child_spawn(&r->kids, "ssh-agent", &a, -1))) {
    failure_set(f, "missing_dependency", "ssh-agent: cannot run: %s "
                "(Debian: apt-get install openssh-client)", strerror(errno));
    return -1;
  }
  /* -D prints nothing useful on its own: its socket is the sign. */
  for (int i = 0; i < 40 && stat(s->sock, &st) < 0; i++) {
    children_poll(&r->kids, -1, 250);
    if (s->agent->exited || r->kids.cancelled)
      break;
  }
  if (stat(s->sock, &st) < 0) {
    failure_set(f, r->kids.cancelled ? "cancelled" : "tool_failed",
                "ssh-agent did not start (no socket %s)", s->sock);
    v2v_ssh_stop(r, s);
    return -1;
  }
  if (setenv("SSH_AUTH_SOCK", s->sock, 1) < 0 ||
      setenv("SSH_ASKPASS_REQUIRE", "never", 1) < 0) {
    failure_set(f, "internal", "setenv: %s", strerror(errno));
    v2v_ssh_stop(r, s);
    return -1;
  }
  if (run_ssh_add(r, key, f) < 0) {
    v2v_ssh_stop(r, s);
    return -1;
  }
  runner_log(r, "ssh-agent started at %s with the request's key", s->sock);
  return 0;
}

void v2v_ssh_stop(struct runner *r, struct v2v_ssh *s)
{
  if (s->agent) {
    child_stop(&r->kids, s->agent);
    child_release(&r->kids, s->agent);
    s->agent = NULL;
    runner_log(r, "ssh-agent stopped");
  }
  if (s->sock) {
    unlink(s->sock);
    free(s->sock);
    s->sock = NULL;
  }
  unsetenv("SSH_AUTH_SOCK");
}
