/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The failure a job ends with: a machine code (error.code in state.json)
 * and words a person can act on (error.message). */
#ifndef UCH_FAILURE_H
#define UCH_FAILURE_H

struct job_failure {
  char code[32];
  char message[1024];
};

void failure_set(struct job_failure *f, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* Puts FMT's words (e.g. "disks[1].source: ") before the message f
 * already holds, its code kept: which part of a request a failure of a
 * lower layer is of. */
void failure_prefix(struct job_failure *f, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

#endif
