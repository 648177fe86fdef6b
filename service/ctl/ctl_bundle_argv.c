/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "ctl/ctl_bundle.h"

const char *const bundle_units[] = { "uchd.service", "uchd.socket",
                                     "uch-tls.service", NULL };

int bundle_journal_argv(struct argv *a)
{
  static const char *const fixed[] = { "journalctl", "--no-pager",
                                       "--output=short-iso-precise",
                                       "--lines=50000", NULL };
  if (argv_addv(a, fixed) < 0)
    return -1;
  for (const char *const *u = bundle_units; *u; u++)
    if (argv_addf(a, "--unit=%s", *u) < 0)
      return -1;
  /* each worker's transient unit (uchd/spawn-unit.c) */
  return argv_add(a, "--unit=uch-job-*.service");
}

int bundle_units_argv(struct argv *a)
{
  static const char *const fixed[] = { "systemctl", "--no-pager", "cat",
                                       NULL };
  return argv_addv(a, fixed) < 0 || argv_addv(a, bundle_units) < 0 ? -1 : 0;
}

int bundle_df_argv(struct argv *a)
{
  static const char *const v[] = { "df", "--human-readable",
                                   "--print-type", NULL };
  return argv_addv(a, v);
}

int bundle_lsblk_argv(struct argv *a)
{
  static const char *const v[] = {
    "lsblk", "--output", "NAME,SIZE,TYPE,RO,FSTYPE,MOUNTPOINT,SERIAL,MODEL",
    NULL };
  return argv_addv(a, v);
}

int bundle_check_argv(struct argv *a, const char *self, const char *state_dir)
{
  const char *const v[] = { self, "check", "--quick", "--state-dir",
                            state_dir, NULL };
  return argv_addv(a, v);
}

int bundle_tar_argv(struct argv *a, const char *out, const char *dir,
                    const char *name)
{
  /* "--" : a NAME can never be taken for an option */
  const char *const v[] = { "tar", "--create", "--gzip", "--file", out,
                            "--directory", dir, "--", name, NULL };
  return argv_addv(a, v);
}

void bundle_name(char *buf, size_t len, const char *host, time_t now)
{
  struct tm tm;
  char stamp[32];

  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(buf, len, "uch-support-%s-%s", host && *host ? host : "host",
           stamp);
}
