/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firewalld calls of listen.open_firewall, exactly: destination,
 * object, interface, method, signature and arguments of each message
 * fw_message() builds; and when uchd has nothing to close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "firewall/firewall.h"
#include "util/cleanup.h"
#include "tap.h"

/* A bus object messages can be made on: sd-bus wants a started one, and
 * a socket pair nobody answers is enough (nothing is sent). */
static sd_bus *offline_bus(void)
{
  int sv[2];
  sd_bus *bus = NULL;

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
      sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, sv[0], sv[0]) < 0 ||
      sd_bus_start(bus) < 0)
    return NULL;
  close(sv[1]);
  return bus;
}

/* "DEST PATH IFACE.MEMBER(SIG) ARG, ARG…" of the message op builds. */
static char *call_text(sd_bus *bus, enum fw_op op, const char *zone,
                       const char *port)
{
  sd_bus_message *m = NULL;
  char *text = NULL;
  const char *a = NULL, *b = NULL, *c = NULL;
  int32_t t = -1;
  int r;

  if (fw_message(bus, op, zone, port, &m) < 0 ||
      sd_bus_message_seal(m, 1, 0) < 0 || sd_bus_message_rewind(m, 1) < 0)
    goto out;
  const char *sig = sd_bus_message_get_signature(m, 1);
  if (strcmp(sig, "sssi") == 0)
    r = sd_bus_message_read(m, "sssi", &a, &b, &c, &t);
  else if (strcmp(sig, "sss") == 0)
    r = sd_bus_message_read(m, "sss", &a, &b, &c);
  else
    r = strcmp(sig, "") == 0 ? 0 : -1;
  if (r < 0)
    goto out;
  r = asprintf(&text, "%s %s %s.%s(%s)%s%s%s%s%s%s",
               sd_bus_message_get_destination(m), sd_bus_message_get_path(m),
               sd_bus_message_get_interface(m), sd_bus_message_get_member(m),
               sig, a ? " " : "", a ? a : "", b ? ", " : "", b ? b : "",
               c ? ", " : "", c ? c : "");
  if (r < 0)
    text = NULL;
  else if (t >= 0) {
    char *more = NULL;
    if (asprintf(&more, "%s, %d", text, (int)t) < 0)
      more = NULL;
    free(text);
    text = more;
  }
out:
  sd_bus_message_unref(m);
  return text;
}

static char close_err[256];

static int close_for(const char *doc_json)
{
  _cleanup_json_ json_object *doc = json_tokener_parse(doc_json);
  close_err[0] = 0;
  return fw_close_for_job(doc, close_err, sizeof close_err);
}

int main(void)
{
  sd_bus *bus = offline_bus();
  ok(bus != NULL, "an offline bus to build messages on");

  _cleanup_free_ char *zone = call_text(bus, FW_DEFAULT_ZONE, NULL, NULL);
  is_str(zone, "org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 "
         "org.fedoraproject.FirewallD1.getDefaultZone()",
         "the default zone: FirewallD1.getDefaultZone, no arguments");

  _cleanup_free_ char *query = call_text(bus, FW_QUERY_PORT, "public",
                                         "10809");
  is_str(query, "org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 "
         "org.fedoraproject.FirewallD1.zone.queryPort(sss) public, 10809, tcp",
         "queryPort(zone, port, tcp)");

  _cleanup_free_ char *add = call_text(bus, FW_ADD_PORT, "public", "10809");
  is_str(add, "org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 "
         "org.fedoraproject.FirewallD1.zone.addPort(sssi) public, 10809, tcp, 0",
         "addPort(zone, port, tcp, timeout 0): runtime, for the job's life");

  _cleanup_free_ char *rm = call_text(bus, FW_REMOVE_PORT, "internal", "443");
  is_str(rm, "org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 "
         "org.fedoraproject.FirewallD1.zone.removePort(sss) internal, 443, tcp",
         "removePort(zone, port, tcp)");

  sd_bus_message *m = NULL;
  is_int(fw_message(bus, (enum fw_op)7, "public", "1", &m), -EINVAL,
         "an unknown operation is refused");

  /* uchd after a dead worker: only "opening" and "open" are its to close,
   * and those need the bus (none here), so they fail rather than claim. */
  is_int(close_for("{\"result\": {}}"), 0, "no result.firewall: nothing");
  is_int(close_for("{\"result\": {\"firewall\": {\"zone\": \"public\", "
                   "\"port\": 10809, \"status\": \"closed\"}}}"), 0,
         "closed already: nothing");
  is_int(close_for("{\"result\": {\"firewall\": {\"zone\": \"public\", "
                   "\"port\": 10809, \"status\": \"already_open\"}}}"), 0,
         "open before the job: never closed by uchd");
  setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/uch-test-bus",
         1);
  is_int(close_for("{\"result\": {\"firewall\": {\"zone\": \"public\", "
                   "\"port\": 10809, \"status\": \"open\"}}}"), -1,
         "open, no bus: an error, not a claim it closed");
  ok(strncmp(close_err, "firewalld: cannot connect to the system bus "
             "(unix:path=/nonexistent/uch-test-bus): ", 61) == 0,
     "the error names firewalld and the bus: %s", close_err);

  sd_bus_close_unref(bus);
  return tap_done();
}
