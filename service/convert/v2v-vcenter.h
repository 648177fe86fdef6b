/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A convert job's input.vcenter: what the host needs before virt-v2v is
 * started, so a missing piece fails the job at once naming it rather
 * than after virt-v2v has opened the source. */
#ifndef UCH_V2V_VCENTER_H
#define UCH_V2V_VCENTER_H

#include <stdbool.h>

#include "convert/v2v-argv.h"
#include "runner/runner.h"

/* What is missing for VDDK, as one sentence into buf (empty when
 * nothing): the library under LIBDIR (lib64/libvixDiskLib.so*) and
 * nbdkit's vddk plugin (HAS_PLUGIN: probe_nbdkit_vddk()). */
void v2v_vddk_missing(const char *libdir, int has_plugin, char *buf,
                      size_t len);

/* Nothing when the request has no input.vcenter.  Else *password is the
 * job's secret file of the password (files->password points at it) and,
 * with vddk, the library and plugin are checked.  0, or -1 with f set
 * (missing_dependency naming what is missing). */
int v2v_vcenter_prepare(struct runner *r, const struct convert_request *req,
                        struct v2v_files *files,
                        char **password, struct job_failure *f);

#endif
