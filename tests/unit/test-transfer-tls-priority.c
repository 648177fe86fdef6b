/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The environment of an nbdkit that speaks TLS: our gnutls overrides
 * (no CHACHA20-POLY1305) in GNUTLS_SYSTEM_PRIORITY_FILE, in place of any
 * earlier value, the rest of the environment as it was; and none where
 * the system has a gnutls configuration of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transfer/tls-priority.h"
#include "util/argv.h"
#include "tap.h"

int main(void)
{
  char *base[] = { "PATH=/usr/bin", "GNUTLS_SYSTEM_PRIORITY_FILE=/old",
                   "GNUTLS_SYSTEM_PRIORITY_FILEX=kept", "HOME=/root", NULL };
  char *bare[] = { "PATH=/usr/bin", NULL };
  char *empty[] = { "GNUTLS_SYSTEM_PRIORITY_FILE=", NULL };
  char dir[] = "/tmp/uch-tlsprio-XXXXXX";
  char conf[64], there[64], buf[256];
  const char *none[] = { "/nonexistent/a", "/nonexistent/b", NULL };
  const char *paths[] = { "/nonexistent/a", there, NULL };
  _cleanup_argv_ struct argv env = { 0 };
  FILE *fp;
  size_t n;

  if (!mkdtemp(dir))
    abort();
  snprintf(conf, sizeof conf, "%s/gnutls.conf", dir);
  snprintf(there, sizeof there, "%s/system.config", dir);

  ok(tls_priority_env(&env, base, "/r/gnutls.conf") == 0, "env built");
  is_int(env.n, 4, "one value of ours in place of the old one");
  is_str(env.v[0], "PATH=/usr/bin", "the rest as it was");
  is_str(env.v[1], "GNUTLS_SYSTEM_PRIORITY_FILEX=kept", "a longer name kept");
  is_str(env.v[2], "HOME=/root", "in its order");
  is_str(env.v[3], "GNUTLS_SYSTEM_PRIORITY_FILE=/r/gnutls.conf", "ours last");
  ok(env.v[4] == NULL, "NULL-terminated");

  ok(tls_priority_system(bare, none) == NULL, "no system configuration");
  ok(tls_priority_system(empty, none) == NULL, "an empty value is none");
  is_str(tls_priority_system(base, none), "/old", "the environment's file");
  ok(tls_priority_system(bare, paths) == NULL, "a path that is not there");
  if (!(fp = fopen(there, "w")))
    abort();
  fclose(fp);
  is_str(tls_priority_system(bare, paths), there, "a path that is there");
  is_str(tls_priority_system_paths[0], "/etc/gnutls/config", "Debian's");
  is_str(tls_priority_system_paths[1],
         "/etc/crypto-policies/back-ends/gnutls.config", "crypto-policies'");

  ok(tls_priority_write(conf) == 0, "written");
  if (!(fp = fopen(conf, "r")))
    abort();
  n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  is_str(buf, "[overrides]\ntls-disabled-cipher = CHACHA20-POLY1305\n",
         "gnutls's overrides: CHACHA20-POLY1305 disabled");
  unlink(conf);
  unlink(there);
  rmdir(dir);
  return tap_done();
}
