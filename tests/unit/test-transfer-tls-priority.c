/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The environment of an nbdkit that speaks TLS: our gnutls overrides
 * (no CHACHA20-POLY1305) in GNUTLS_SYSTEM_PRIORITY_FILE, in place of any
 * earlier value, the rest of the environment as it was; and none where
 * the system has a gnutls configuration of its own.  gnutls reads the
 * file when it loads: a process started with it (this test again, as
 * uchd starts uch-job) does not allow CHACHA20-POLY1305 for libnbd's
 * priority string, one without it does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transfer/tls-priority.h"
#include "util/argv.h"
#include "tap.h"

/* What this test, started again with `env`, says of CHACHA20-POLY1305
 * (its exit status: tls_priority_allows_chacha20() + 1), or -1. */
static int chacha_in(char *const *env)
{
  char *const args[] = { "test", "--chacha", NULL };
  int st;
  pid_t pid = fork();

  if (pid == 0) {
    execve("/proc/self/exe", args, env);
    _exit(99);
  }
  if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
      WEXITSTATUS(st) > 2)
    return -1;
  return WEXITSTATUS(st) - 1;
}

int main(int argc, char **argv)
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

  if (argc > 1 && strcmp(argv[1], "--chacha") == 0)
    return tls_priority_allows_chacha20() + 1;
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
  char oursenv[96];
  snprintf(oursenv, sizeof oursenv, "GNUTLS_SYSTEM_PRIORITY_FILE=%s", conf);
  char *const uchds[] = { oursenv, NULL };
  ok(tls_priority_system(uchds, none) == NULL,
     "the variable naming a file of ours (uchd's) is not the system's");
  char envconf[96];
  snprintf(envconf, sizeof envconf, "GNUTLS_SYSTEM_PRIORITY_FILE=%s", conf);
  char *const with[] = { envconf, NULL };
  is_int(chacha_in(with), 0, "started with our file: CHACHA20-POLY1305 "
         "not allowed");
  if (tls_priority_system(bare, tls_priority_system_paths))
    ok(1, "# skip the system has a gnutls configuration of its own");
  else
    is_int(chacha_in(bare), 1, "without it (and none of the system's): "
           "allowed");
  unlink(conf);
  unlink(there);
  rmdir(dir);
  return tap_done();
}
