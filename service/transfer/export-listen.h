/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where an export listens, from the request's "listen" object, and the
 * URIs a client gives libnbd to reach each disk. */
#ifndef UCH_EXPORT_LISTEN_H
#define UCH_EXPORT_LISTEN_H

#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"
#include "transfer/tool-argv.h"

struct listen_spec {
  char *unix_sock;          /* Unix: RUNTIME/jobs/ID/nbd.sock */
  char *host;               /* TCP: the host and port to bind ... */
  char *port;
  char *advertise;          /* ... the host clients use */
  char *psk_file;           /* TLS-PSK keys file (a path, never shown) */
  char *username;
};

/* The export URI of NAME (a libnbd URI, used as is). */
char *export_uri(const struct listen_spec *l, const char *name);
/* A new PSK file "USER:<64 hex>" (mode 0600). */
int psk_generate(const char *path, const char *username);

/* Fills l from the request; generates a PSK when none was given. */
int listen_prepare(struct runner *r,
                   const struct export_listen_request *listen,
                   struct listen_spec *l, struct job_failure *f);
void listen_free(struct listen_spec *l);
/* Waits until HOST:PORT can be bound (a socket bound there, with
 * SO_REUSEADDR as nbdkit's, and closed again): while another process
 * holds it (EADDRINUSE: a wave's earlier export waiting out its idle
 * time), tries again every 0.2 s for up to wait_s seconds, stop(opaque)
 * (may be NULL) asked each time.  0: free (or an error other than
 * EADDRINUSE, which nbdkit reports itself); -1: still taken after
 * wait_s (errno EADDRINUSE) or stopped (ECANCELED).  *tries: the
 * attempts made. */
int listen_port_wait(const char *host, const char *port, unsigned wait_s,
                     bool (*stop)(void *opaque), void *opaque,
                     unsigned *tries);
/* The nbdkit view of it. */
void listen_to_export(const struct listen_spec *l, struct export_listen *e);

#endif
