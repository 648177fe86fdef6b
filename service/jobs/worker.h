/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How uchd starts the worker for a job, and how uch-job is found. */
#ifndef UCH_WORKER_H
#define UCH_WORKER_H

#include "util/argv.h"

/* Seconds a copy may go without progress before it stops (code
 * timeout): uchd's stall_timeout, handed to its workers in their
 * environment; the worker's default when unset. */
#define STALL_TIMEOUT_ENV "UCH_STALL_TIMEOUT_S"
#define STALL_TIMEOUT_DEFAULT_S 120

/* uch-job --state-dir S --runtime-dir R start ID */
int worker_argv(struct argv *a, const char *uch_job, const char *state_dir,
                const char *runtime_dir, const char *id);
/* $UCH_JOB, else uch-job beside the running program (the build tree),
 * else LIBEXECDIR/uch/uch-job. */
char *worker_program(void);

#endif
