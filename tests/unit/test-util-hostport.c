/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One parser for every listen address: requests, uchd flags, exports. */
#include <stdlib.h>

#include "util/cleanup.h"
#include "util/hostport.h"
#include "tap.h"

static void good(const char *s, const char *want_host, const char *want_port)
{
  _cleanup_free_ char *h = NULL, *p = NULL;
  ok(host_port_split(s, &h, &p) == 0, "%s accepted", s);
  is_str(h, want_host, "%s: host", s);
  is_str(p, want_port, "%s: port", s);
}

static void bad(const char *s)
{
  char *h = NULL, *p = NULL;
  ok(host_port_split(s, &h, &p) < 0 && !h && !p, "%s refused", s);
}

int main(void)
{
  good("127.0.0.1:10808", "127.0.0.1", "10808");
  good("0.0.0.0:10809", "0.0.0.0", "10809");
  good("[::1]:10809", "::1", "10809");
  good("esxi.example.com:65535", "esxi.example.com", "65535");
  bad("nohost");
  bad(":1");
  bad("h:");
  bad("h:0");
  bad("h:65536");
  bad("h:80x");
  bad("h:-1");
  bad("::1:80");
  bad("[::1]80");
  bad("[::1:80");
  bad("[]:80");
  return tap_done();
}
