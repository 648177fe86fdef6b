/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Export URIs are what libnbd takes as is. */
#include "transfer/export-listen.h"
#include "util/cleanup.h"
#include "util/hostport.h"
#include "tap.h"

int main(void)
{
  _cleanup_free_ char *h = NULL, *p = NULL, *h6 = NULL, *p6 = NULL;
  _cleanup_free_ char *u1 = NULL, *u2 = NULL, *u3 = NULL;
  char *x = NULL, *y = NULL;

  ok(host_port_split("0.0.0.0:10809", &h, &p) == 0, "host:port");
  is_str(h, "0.0.0.0", "host");
  is_str(p, "10809", "port");
  ok(host_port_split("[::1]:10809", &h6, &p6) == 0, "[v6]:port");
  is_str(h6, "::1", "v6 host without brackets");
  ok(host_port_split("nohost", &x, &y) < 0, "no port refused");
  ok(host_port_split(":1", &x, &y) < 0, "empty host refused");

  struct listen_spec u = { .unix_sock = "/run/uch/jobs/j/nbd.sock" };
  is_str(u1 = export_uri(&u, "vm 1"),
         "nbd+unix:///vm%201?socket=/run/uch/jobs/j/nbd.sock", "Unix URI");
  struct listen_spec t = { .host = "0.0.0.0", .port = "10809",
                           .advertise = "uch.example", .username = "uch",
                           .psk_file = "/run/uch/jobs/j/tls.psk" };
  is_str(u2 = export_uri(&t, "disk0"),
         "nbds://uch@uch.example:10809/disk0?tls-psk-file=/run/uch/jobs/j/tls.psk",
         "TLS URI with the advertised host");
  struct listen_spec t6 = { .host = "::1", .port = "10809", .username = "u",
                            .psk_file = "/p" };
  is_str(u3 = export_uri(&t6, "d"), "nbds://u@[::1]:10809/d?tls-psk-file=/p",
         "v6 host in brackets");
  return tap_done();
}
