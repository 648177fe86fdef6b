/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVM or TCG for libguestfs's appliance.  libguestfs takes KVM whenever
 * /dev/kvm opens, and falls back to TCG only where KVM cannot start at
 * all.  Where it starts but qemu cannot set a vCPU up on it (nested
 * KVM lacking a model-specific register qemu sets: qemu aborts,
 * "failed to set MSR 0x10a"), every conversion and inspection would
 * fail.  So a job that runs libguestfs (virt-v2v, virt-v2v-in-place,
 * uch-inspect) asks first (check/probe.h's probe_kvm) and, there, tells
 * libguestfs to take TCG, in its log saying why. */
#ifndef UCH_CONVERT_ACCEL_H
#define UCH_CONVERT_ACCEL_H

#include "runner/runner.h"

/* libguestfs's variable; an admin's own value is left as it is. */
#define ACCEL_ENV "LIBGUESTFS_BACKEND_SETTINGS"

/* Sets ACCEL_ENV=force_tcg in this process's environment (the tools
 * inherit it) when probe_kvm() says BROKEN and it is not set; logs what
 * libguestfs will take and why, the first time in a job.  0, or -1 with
 * errno set. */
int convert_accel_prepare(struct runner *r);

#endif
