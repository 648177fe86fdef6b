/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/firewall.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* firewalld answers in well under a second; a hung one must not hold a
 * job (or uchd's loop, when it closes a dead worker's port) for long. */
#define FW_TIMEOUT_USEC (10 * 1000000ULL)
#define FW_PROTOCOL "tcp"

static const char *const fw_members[] = {
  [FW_DEFAULT_ZONE] = "getDefaultZone",
  [FW_QUERY_PORT] = "queryPort",
  [FW_ADD_PORT] = "addPort",
  [FW_REMOVE_PORT] = "removePort",
};

int fw_message(sd_bus *bus, enum fw_op op, const char *zone,
               const char *port, sd_bus_message **m)
{
  int r;

  if ((unsigned)op > FW_REMOVE_PORT)
    return -EINVAL;
  r = sd_bus_message_new_method_call(bus, m, FIREWALLD_NAME, FIREWALLD_PATH,
                                     op == FW_DEFAULT_ZONE ? FIREWALLD_NAME :
                                     FIREWALLD_NAME ".zone", fw_members[op]);
  if (r < 0)
    return r;
  switch (op) {
  case FW_DEFAULT_ZONE:
    break;
  case FW_ADD_PORT:
    /* timeout 0: for as long as the job runs, which may be days (a warm
     * migration); a timeout would close it under a serving export, and
     * firewalld cannot extend one (ALREADY_ENABLED).  The job closes it. */
    r = sd_bus_message_append(*m, "sssi", zone, port, FW_PROTOCOL, 0);
    break;
  case FW_QUERY_PORT:
  case FW_REMOVE_PORT:
    r = sd_bus_message_append(*m, "sss", zone, port, FW_PROTOCOL);
    break;
  }
  if (r < 0)
    *m = sd_bus_message_unref(*m);
  return r < 0 ? r : 0;
}

static void bus_error_text(const sd_bus_error *e, int r, const char *what,
                           char *err, size_t len)
{
  if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
                             SD_BUS_ERROR_NAME_HAS_NO_OWNER))
    snprintf(err, len, "firewalld is not running (nothing answers as "
             FIREWALLD_NAME " on the system bus)");
  else if (r == -ETIMEDOUT ||
           sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY,
                                  SD_BUS_ERROR_TIMEOUT))
    snprintf(err, len, "firewalld did not answer %s within %llu s", what,
             FW_TIMEOUT_USEC / 1000000ULL);
  else if (e->message)
    snprintf(err, len, "firewalld: %s: %s", what, e->message);
  else
    snprintf(err, len, "firewalld: %s: %s", what, strerror(-r));
}

/* One call: 0 and *reply, or -1 with err.  not_enabled (may be NULL) is
 * set when firewalld said NOT_ENABLED, which is then not an error. */
static int fw_call(sd_bus *bus, enum fw_op op, const char *zone,
                   const char *port, sd_bus_message **reply,
                   bool *not_enabled, char *err, size_t len)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL;
  int r;

  *reply = NULL;
  r = fw_message(bus, op, zone, port, &m);
  if (r >= 0)
    r = sd_bus_call(bus, m, FW_TIMEOUT_USEC, &e, reply);
  sd_bus_message_unref(m);
  if (r >= 0)
    return 0;
  if (not_enabled && e.message && strncmp(e.message, "NOT_ENABLED", 11) == 0) {
    *not_enabled = true;
    sd_bus_error_free(&e);
    return 0;
  }
  bus_error_text(&e, r, fw_members[op], err, len);
  sd_bus_error_free(&e);
  return -1;
}

int fw_bus_open(sd_bus **bus, char *err, size_t len)
{
  int r = sd_bus_open_system(bus);

  if (r < 0) {
    snprintf(err, len, "firewalld: cannot connect to the system bus (%s): %s",
             getenv("DBUS_SYSTEM_BUS_ADDRESS") ?: "/run/dbus/system_bus_socket",
             strerror(-r));
    return -1;
  }
  return 0;
}

int fw_default_zone(sd_bus *bus, char **zone, char *err, size_t len)
{
  sd_bus_message *reply = NULL;
  const char *z = NULL;
  int r;

  if (fw_call(bus, FW_DEFAULT_ZONE, NULL, NULL, &reply, NULL, err, len) < 0)
    return -1;
  r = sd_bus_message_read(reply, "s", &z);
  if (r >= 0 && z && *z)
    *zone = strdup(z);
  sd_bus_message_unref(reply);
  if (r < 0 || !z || !*z || !*zone) {
    snprintf(err, len, "firewalld: getDefaultZone: no zone in its answer");
    return -1;
  }
  return 0;
}

int fw_port_is_open(sd_bus *bus, const char *zone, const char *port,
                    bool *open, char *err, size_t len)
{
  sd_bus_message *reply = NULL;
  int b = 0, r;

  if (fw_call(bus, FW_QUERY_PORT, zone, port, &reply, NULL, err, len) < 0)
    return -1;
  r = sd_bus_message_read(reply, "b", &b);
  sd_bus_message_unref(reply);
  if (r < 0) {
    snprintf(err, len, "firewalld: queryPort: %s", strerror(-r));
    return -1;
  }
  *open = b;
  return 0;
}

int fw_open_port(sd_bus *bus, const char *zone, const char *port, char *err,
                 size_t len)
{
  sd_bus_message *reply = NULL;

  if (fw_call(bus, FW_ADD_PORT, zone, port, &reply, NULL, err, len) < 0)
    return -1;
  sd_bus_message_unref(reply);
  return 0;
}

int fw_close_port(sd_bus *bus, const char *zone, const char *port,
                  char *err, size_t len)
{
  sd_bus_message *reply = NULL;
  bool not_enabled = false;

  if (fw_call(bus, FW_REMOVE_PORT, zone, port, &reply, &not_enabled, err,
              len) < 0)
    return -1;
  sd_bus_message_unref(reply);
  return 0;
}

int fw_close_for_job(json_object *doc, char *err, size_t len)
{
  json_object *fw = json_get(json_get(doc, "result"), "firewall");
  const char *status = json_get_string(fw, "status");
  const char *zone = json_get_string(fw, "zone");
  json_object *port = json_get(fw, "port");
  char port_s[16];
  sd_bus *bus = NULL;
  int r;

  if (!status || (strcmp(status, FW_OPENING) != 0 &&
                  strcmp(status, FW_OPEN) != 0))
    return 0;
  if (!zone || !port) {
    snprintf(err, len, "result.firewall names no zone or port");
    return -1;
  }
  snprintf(port_s, sizeof port_s, "%d", json_object_get_int(port));
  if (fw_bus_open(&bus, err, len) < 0)
    return -1;
  r = fw_close_port(bus, zone, port_s, err, len);
  sd_bus_flush_close_unref(bus);
  if (r < 0)
    return -1;
  json_object_object_add(fw, "status", json_object_new_string(FW_CLOSED));
  return 1;
}
