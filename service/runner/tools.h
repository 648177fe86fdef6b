/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every job does with the tools it runs: run one to its end, wait
 * for a server to be ready, and name the files and sockets it gets in
 * the job's runtime directory. */
#ifndef UCH_RUNNER_TOOLS_H
#define UCH_RUNNER_TOOLS_H

#include "runner/runner.h"
#include "util/argv.h"

/* Spawns a tool and waits for its end; a failure names its message. */
int tool_run(struct runner *r, const char *tool, const struct argv *a,
             struct job_failure *f);
/* Waits for a server's pid file: it is written once it listens. */
int wait_ready(struct runner *r, struct child *ch, const char *pidfile,
               struct job_failure *f);

/* Seconds a copy may go with nothing arriving from its source before
 * it stops as stalled: uchd's stall_timeout (STALL_TIMEOUT_ENV in the
 * worker's environment), 1 to 86400, else STALL_TIMEOUT_DEFAULT_S. */
unsigned stall_timeout_s(void);

/* RUNTIME/jobs/ID/NAME if short enough for a Unix socket. */
char *runtime_path(struct runner *r, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

#endif
