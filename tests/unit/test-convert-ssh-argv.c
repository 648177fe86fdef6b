/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command lines of the ssh-agent a vmx-over-SSH convert job runs:
 * the key only ever as a file name. */
#include "util/argv.h"
#include "util/cleanup.h"
#include "tap.h"
#include "convert/v2v-ssh.h"

int main(void)
{
  _cleanup_argv_ struct argv agent = { 0 }, add = { 0 };
  _cleanup_free_ char *a = NULL, *b = NULL;

  ok(ssh_agent_argv(&agent, "/run/uch/jobs/j1/ssh-agent.sock") == 0,
     "ssh-agent argv built");
  a = argv_join(&agent);
  is_str(a, "ssh-agent -D -a /run/uch/jobs/j1/ssh-agent.sock",
         "ssh-agent in the foreground on the job's socket");
  ok(ssh_add_argv(&add, "/run/uch/jobs/j1/secrets/input.vmx.ssh.key_file") == 0,
     "ssh-add argv built");
  b = argv_join(&add);
  is_str(b, "ssh-add /run/uch/jobs/j1/secrets/input.vmx.ssh.key_file",
         "ssh-add reads the key from the secret file");
  return tap_done();
}
