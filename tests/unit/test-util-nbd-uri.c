/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NBD URIs: parsed by libxml2's RFC 3986 parser, refused with a reason,
 * written back the same. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/nbd-uri.h"

static char why[128];

static int parse(const char *s, struct uch_nbd_uri *u)
{
  why[0] = '\0';
  return uch_nbd_uri_parse(s, u, why, sizeof why);
}

static void refused(const char *s, const char *reason)
{
  struct uch_nbd_uri u;

  is_int(parse(s, &u), -1, "%s refused", s);
  ok(strstr(why, reason) != NULL, "  because %s (%s)", reason, why);
  uch_nbd_uri_free(&u);
}

/* s parses and formats back as `back` */
static void round_trip(const char *s, const char *back)
{
  struct uch_nbd_uri u;
  _cleanup_free_ char *f = NULL;

  is_int(parse(s, &u), 0, "%s parses (%s)", s, why);
  f = uch_nbd_uri_format(&u);
  is_str(f, back, "  and is written back");
  uch_nbd_uri_free(&u);
}

int main(void)
{
  struct uch_nbd_uri u;

  is_int(parse("nbds://alice@[fd00::1]:10810/disk%201?tls-psk-file="
               "/run/k%20ey&tls-username=bob", &u), 0, "nbds URI parses");
  ok(u.tls && !u.unix_socket, "  TLS over TCP");
  is_str(u.user, "alice", "  user");
  is_str(u.host, "fd00::1", "  IPv6 host without []");
  is_int(u.port, 10810, "  port");
  is_str(u.export_name, "disk 1", "  export name unescaped");
  is_str(uch_nbd_uri_param(&u, "tls-psk-file"), "/run/k ey",
         "  query value unescaped");
  is_str(uch_nbd_uri_param(&u, "tls-username"), "bob", "  second param");
  ok(uch_nbd_uri_param(&u, "socket") == NULL, "  no socket");
  uch_nbd_uri_free(&u);

  is_int(parse("nbd+unix:///sda?socket=/run/uch/a%20b.sock", &u), 0,
         "nbd+unix URI parses");
  ok(u.unix_socket && !u.tls && u.host == NULL, "  Unix socket, no host");
  is_str(u.socket, "/run/uch/a b.sock", "  socket unescaped");
  is_str(u.export_name, "sda", "  export");
  uch_nbd_uri_free(&u);

  is_int(parse("nbd://example.com", &u), 0, "host alone");
  is_int(u.port, 0, "  default port");
  is_str(u.export_name, "", "  default export");
  uch_nbd_uri_free(&u);

  refused("nbd://h:99999/x", "the port must be 1-65535");
  refused("nbd://h:0/x", "the port must be 1-65535");
  refused("nbd://h:4294967297/x", "not a URI");
  refused("nbd://[::1/x", "closing ]");
  refused("nbd:///x", "names no host");
  refused("nbd://:10809/x", "names no host");
  refused("nbd://", "names no host");
  refused("nbd+unix:///x%00y?socket=/s", "%00");
  refused("nbd+unix:///x?socket=/s%00", "%00");
  refused("nbd+unix:///x", "socket=/PATH");
  refused("nbd+unix:///x?socket=relative", "socket=/PATH");
  refused("nbd+unix://host/x?socket=/s", "names no host");
  refused("nbds://uch:hunter2@h/x", "a password (USER:PASSWORD@)");
  refused("nbd://:hunter2@h/x", "a password (USER:PASSWORD@)");
  refused("nbd+unix://?socket=/s", "nbd+unix:///[EXPORT]");
  refused("http://h/x", "the scheme must be");
  refused("nbd:h", "must start with nbd://");
  refused("nbd://h/x#frag", "fragment");
  refused("nbd://h/x?novalue", "KEY=VALUE");
  refused("nbd://h x/", "not a URI");

  round_trip("nbd+unix:///?socket=/tmp/s", "nbd+unix:///?socket=/tmp/s");
  round_trip("nbd+unix:///a%20b?socket=/t%20s&tls-psk-file=/k",
             "nbd+unix:///a%20b?socket=/t%20s&tls-psk-file=/k");
  round_trip("nbds://u@h:10809/e?tls-psk-file=/p",
             "nbds://u@h:10809/e?tls-psk-file=/p");
  round_trip("nbd://[::1]:99/e", "nbd://[::1]:99/e");

  _cleanup_free_ char *unix_uri = uch_nbd_unix_uri("disk 0", "/run/x.sock");
  is_str(unix_uri, "nbd+unix:///disk%200?socket=/run/x.sock",
         "uch_nbd_unix_uri escapes the name");
  return tap_done();
}
