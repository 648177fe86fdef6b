/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check/probe.h"
#include "convert/v2v-vcenter.h"
#include "jobs/request.h"
#include "util/cleanup.h"

void v2v_vddk_missing(const char *libdir, int has_plugin, char *buf,
                      size_t len)
{
  _cleanup_free_ char *lib = probe_vddk_library(libdir);
  size_t used = 0;

  buf[0] = '\0';
  if (!lib)
    used = (size_t)snprintf(buf, len, "input.vcenter.vddk.libdir: no VDDK "
                            "library at %s/lib64/libvixDiskLib.so* "
                            "(VMware's VDDK, unpacked there)", libdir);
  if (has_plugin <= 0 && used < len)
    snprintf(buf + used, len - used, "%snbdkit has no vddk plugin%s "
             "(Debian's nbdkit ships none: build nbdkit's "
             "plugins/vddk from source, or leave \"vddk\" out)",
             used ? "; " : "input.vcenter.vddk: ",
             has_plugin < 0 ? " (nbdkit did not run)" : "");
}

int v2v_vcenter_prepare(struct runner *r, const struct convert_request *req,
                        struct v2v_files *files,
                        char **password, struct job_failure *f)
{
  const struct convert_vcenter *vc = &req->input.vcenter;
  struct stat st;
  char why[1024];

  if (req->input.kind != CONVERT_IN_VCENTER)
    return 0;
  if (!(*password = secret_path(r->rt_dir, "input.vcenter.password_file"))) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  if (stat(*password, &st) < 0) {
    failure_set(f, "internal", "input.vcenter.password_file: the job's copy "
                "of the password is missing: %s", strerror(errno));
    return -1;
  }
  files->password = *password;
  if (!vc->has_vddk)
    return 0;
  v2v_vddk_missing(vc->vddk.libdir, probe_nbdkit_vddk(),
                   why, sizeof why);
  if (why[0]) {
    failure_set(f, "missing_dependency", "%s", why);
    return -1;
  }
  runner_log(r, "VDDK library and nbdkit vddk plugin found");
  return 0;
}
