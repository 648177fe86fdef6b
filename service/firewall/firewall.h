/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An export's TCP port opened in firewalld for the job's life, when its
 * request asks (listen.open_firewall), through firewalld's D-Bus API
 * (org.fedoraproject.FirewallD1 on the system bus, or on
 * DBUS_SYSTEM_BUS_ADDRESS).  Runtime configuration only, never
 * permanent: a reboot or `firewall-cmd --reload` forgets it.
 *
 * The worker opens the port once nbdkit listens and closes it when the
 * job ends, whatever the outcome; its state says where it stands
 * (result.firewall.status), so uchd closes a port a worker that died
 * (SIGKILL, OOM) left "opening" or "open" (fw_close_for_job). */
#ifndef UCH_FIREWALL_H
#define UCH_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <systemd/sd-bus.h>

#define FIREWALLD_NAME "org.fedoraproject.FirewallD1"
#define FIREWALLD_PATH "/org/fedoraproject/FirewallD1"

enum fw_op {
  FW_DEFAULT_ZONE,    /* getDefaultZone() -> s */
  FW_QUERY_PORT,      /* zone.queryPort(ZONE, PORT, "tcp") -> b */
  FW_ADD_PORT,        /* zone.addPort(ZONE, PORT, "tcp", 0) -> s */
  FW_REMOVE_PORT,     /* zone.removePort(ZONE, PORT, "tcp") -> s */
};

/* The one place a firewalld call is built: the method call of op on bus
 * (zone and port unused for FW_DEFAULT_ZONE).  Negative errno. */
int fw_message(sd_bus *bus, enum fw_op op, const char *zone,
               const char *port, sd_bus_message **m);

/* Each returns 0, or -1 with a message naming firewalld in err. */
int fw_bus_open(sd_bus **bus, char *err, size_t len);
int fw_default_zone(sd_bus *bus, char **zone, char *err, size_t len);
int fw_port_is_open(sd_bus *bus, const char *zone, const char *port,
                    bool *open, char *err, size_t len);
int fw_open_port(sd_bus *bus, const char *zone, const char *port, char *err,
                 size_t len);
/* Also 0 when the port was not open (firewalld's NOT_ENABLED). */
int fw_close_port(sd_bus *bus, const char *zone, const char *port,
                  char *err, size_t len);

/* result.firewall of a job document: {"zone", "port", "protocol",
 * "status"}; status is "opening" (the worker is about to add it),
 * "open" (it did), "already_open" (it was open before: left alone),
 * "closed" (the job closed it). */
#define FW_OPENING "opening"
#define FW_OPEN "open"
#define FW_ALREADY_OPEN "already_open"
#define FW_CLOSED "closed"

/* For uchd, about a job whose worker ended without a final state: closes
 * the port result.firewall says is "opening" or "open" and marks it
 * "closed" in doc.  0: nothing to do; 1: closed; -1: err says why not. */
int fw_close_for_job(json_object *doc, char *err, size_t len);

#endif
