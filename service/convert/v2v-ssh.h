/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmx over SSH (-i vmx -it ssh): the worker's own ssh-agent holding the
 * request's key, which virt-v2v's ssh, scp and nbdkit-ssh-plugin reach
 * through SSH_AUTH_SOCK; the key itself stays a 0600 file in the job's
 * runtime dir and never appears on a command line.  The host key must
 * be in the service user's known_hosts: virt-v2v gives ssh no options. */
#ifndef UCH_V2V_SSH_H
#define UCH_V2V_SSH_H

#include "jobs/job-request.h"
#include "runner/runner.h"
#include "util/argv.h"

struct v2v_ssh {
  struct child *agent;       /* NULL when the request is not vmx over SSH */
  char *sock;
};

/* ssh-agent -D -a SOCK */
int ssh_agent_argv(struct argv *a, const char *sock);
/* ssh-add KEY_FILE */
int ssh_add_argv(struct argv *a, const char *key_file);

/* Nothing to do (0) unless the request's input is vmx over SSH; then
 * starts the agent, adds the key and sets SSH_AUTH_SOCK for the
 * worker's later children.  -1 with F filled on failure (agent stopped). */
int v2v_ssh_start(struct runner *r, const struct convert_request *req,
                  struct v2v_ssh *s, struct job_failure *f);
/* Stops the agent and removes its socket; safe to call twice. */
void v2v_ssh_stop(struct runner *r, struct v2v_ssh *s);

#endif
