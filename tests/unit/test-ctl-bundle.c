/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl support-bundle's command lines and the archive's name. */
#include <stdlib.h>

#include "ctl/ctl_bundle.h"
#include "tap.h"

typedef int argv_fn(struct argv *a);

static void is_argv(argv_fn *build, const char *want, const char *what)
{
  struct argv a = { 0 };
  char *s = NULL;

  ok(build(&a) == 0, "%s: built", what);
  s = argv_join(&a);
  is_str(s, want, "%s", what);
  free(s);
  argv_free(&a);
}

int main(void)
{
  struct argv a = { 0 };
  char name[128], *s;

  is_argv(bundle_journal_argv,
          "journalctl --no-pager --output=short-iso-precise --lines=50000 "
          "--unit=uchd.service --unit=uchd.socket --unit=uch-tls.service "
          "'--unit=uch-job-*.service'",
          "journal: uchd's units and the workers'");
  is_argv(bundle_units_argv,
          "systemctl --no-pager cat uchd.service uchd.socket uch-tls.service",
          "the unit files");
  is_argv(bundle_df_argv, "df --human-readable --print-type", "df");
  is_argv(bundle_lsblk_argv,
          "lsblk --output NAME,SIZE,TYPE,RO,FSTYPE,MOUNTPOINT,SERIAL,MODEL",
          "lsblk");

  ok(bundle_check_argv(&a, "/usr/bin/uchctl", "/var/lib/my uch") == 0,
     "check: built");
  s = argv_join(&a);
  is_str(s, "/usr/bin/uchctl check --quick --state-dir '/var/lib/my uch'",
         "check --quick, the state dir one argument");
  free(s);
  argv_free(&a);

  ok(bundle_tar_argv(&a, "/root/-x.tar.gz", "/tmp/w", "-n") == 0,
     "tar: built");
  s = argv_join(&a);
  is_str(s, "tar --create --gzip --file /root/-x.tar.gz --directory /tmp/w "
         "-- -n", "tar: a name is never an option");
  free(s);
  argv_free(&a);

  bundle_name(name, sizeof name, "uch1", 1796494500);
  is_str(name, "uch-support-uch1-20261205T181500Z", "the archive's name");
  bundle_name(name, sizeof name, "", 0);
  is_str(name, "uch-support-host-19700101T000000Z", "no host name");
  return tap_done();
}
