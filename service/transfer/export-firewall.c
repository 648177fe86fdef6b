/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "firewall/firewall.h"
#include "transfer/export-firewall.h"
#include "util/jsonutil.h"

#define FIELD "listen.open_firewall"

static void set_status(struct export_fw *fw, const char *status)
{
  json_object_object_add(fw->state, "status",
                         json_object_new_string(status));
}

int export_fw_prepare(struct export_fw *fw, const char *port,
                      json_object *result, struct job_failure *f)
{
  char err[512];

  memset(fw, 0, sizeof *fw);
  if (fw_bus_open(&fw->bus, err, sizeof err) < 0 ||
      fw_default_zone(fw->bus, &fw->zone, err, sizeof err) < 0) {
    failure_set(f, "missing_dependency", "%s: %s", FIELD, err);
    return -1;
  }
  fw->port = port;
  fw->state = json_object_new_object();
  json_object_object_add(fw->state, "zone",
                         json_object_new_string(fw->zone));
  json_object_object_add(fw->state, "port",
                         json_object_new_int(atoi(port)));
  json_object_object_add(fw->state, "protocol", json_object_new_string("tcp"));
  json_object_object_add(result, "firewall", fw->state);
  return 0;
}

int export_fw_open(struct runner *r, struct export_fw *fw,
                   struct job_failure *f)
{
  char err[512];
  bool open = false;

  if (!fw->bus)
    return 0;
  if (fw_port_is_open(fw->bus, fw->zone, fw->port, &open, err,
                      sizeof err) < 0)
    goto fail;
  if (open) {
    /* someone else's (the admin's, another job's): never ours to close */
    set_status(fw, FW_ALREADY_OPEN);
    runner_log(r, "firewall: %s/tcp is already open in zone %s; left as it "
               "is", fw->port, fw->zone);
    return runner_write_state(r);
  }
  /* Said before it is done: if the worker dies during the call, uchd
   * still closes it (a port that was never added is no harm). */
  set_status(fw, FW_OPENING);
  if (runner_write_state(r) < 0)
    return -1;
  if (fw_open_port(fw->bus, fw->zone, fw->port, err, sizeof err) < 0)
    goto fail;
  fw->opened = true;
  set_status(fw, FW_OPEN);
  runner_log(r, "firewall: opened %s/tcp in zone %s (runtime)", fw->port,
             fw->zone);
  return runner_write_state(r);
fail:
  failure_set(f, "firewall_failed", "%s: %s", FIELD, err);
  return -1;
}

int export_fw_close(struct runner *r, struct export_fw *fw,
                    struct job_failure *f)
{
  char err[512];

  if (!fw->bus || !fw->state)
    return 0;
  const char *status = json_get_string(fw->state, "status");
  if (!fw->opened && !(status && strcmp(status, FW_OPENING) == 0))
    return 0;
  int rc = fw_close_port(fw->bus, fw->zone, fw->port, err, sizeof err);
  if (rc < 0 && sd_bus_is_open(fw->bus) <= 0) {
    /* the connection of days ago is gone (dbus-daemon restarted): a new
     * one, once */
    fw->bus = sd_bus_flush_close_unref(fw->bus);
    rc = fw_bus_open(&fw->bus, err, sizeof err);
    if (rc == 0)
      rc = fw_close_port(fw->bus, fw->zone, fw->port, err, sizeof err);
  }
  if (rc < 0) {
    /* status stays "open": the job's document must not claim otherwise */
    runner_log(r, "firewall: cannot close %s/tcp: %s", fw->port, err);
    failure_set(f, "firewall_failed", "%s: the port stays open: %s", FIELD,
                err);
    return -1;
  }
  fw->opened = false;
  set_status(fw, FW_CLOSED);
  runner_log(r, "firewall: closed %s/tcp in zone %s", fw->port, fw->zone);
  return 0;
}

void export_fw_free(struct export_fw *fw)
{
  sd_bus_flush_close_unref(fw->bus);
  free(fw->zone);
  memset(fw, 0, sizeof *fw);
}
