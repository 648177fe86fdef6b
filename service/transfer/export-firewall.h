/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker's half of listen.open_firewall: the export's TCP port
 * opened in firewalld's default zone once nbdkit listens, closed when
 * the job ends (jobs/firewall.h has the D-Bus calls and uchd's half). */
#ifndef UCH_EXPORT_FIREWALL_H
#define UCH_EXPORT_FIREWALL_H

#include <stdbool.h>
#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "runner/runner.h"

struct export_fw {
  sd_bus *bus;              /* NULL: the request did not ask */
  char *zone;               /* firewalld's default zone, read at start */
  const char *port;         /* the listen port (borrowed) */
  json_object *state;       /* result.firewall (borrowed from result) */
  bool opened;              /* this job added the port: it removes it */
};

/* Before anything starts: connects to firewalld and reads its default
 * zone, so a host without firewalld fails the job at once. */
int export_fw_prepare(struct export_fw *fw, const char *port,
                      json_object *result, struct job_failure *f);
/* Once nbdkit listens: opens the port unless it is open already. */
int export_fw_open(struct runner *r, struct export_fw *fw,
                   struct job_failure *f);
/* At the end, whatever the outcome: closes what export_fw_open opened.
 * -1 (f set) when firewalld would not close it. */
int export_fw_close(struct runner *r, struct export_fw *fw,
                    struct job_failure *f);
void export_fw_free(struct export_fw *fw);

#endif
