/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cipher of a job's TLS tools: util/tls-priority.h says why and
 * how. */
#ifndef UCH_TLS_PRIORITY_H
#define UCH_TLS_PRIORITY_H

#include "runner/runner.h"
#include "util/argv.h"
#include "util/tls-priority.h"

/* child_spawn() of a tool that speaks TLS: with RUNTIME/jobs/ID/gnutls.conf
 * as its TLS_PRIORITY_ENV, or as it is where the system has its own
 * configuration (the job log says which). */
struct child *tls_child_spawn(struct runner *r, const char *tool,
                              const struct argv *a);

#endif
