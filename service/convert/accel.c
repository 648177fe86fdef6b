/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check/probe.h"
#include "convert/accel.h"
#include "util/cleanup.h"

int convert_accel_prepare(struct runner *r)
{
  /* a sync job converts more than once (rehearsals, the cutover): one
   * probe and one line a job */
  static bool done;
  _cleanup_free_ char *why = NULL;
  const char *set = getenv(ACCEL_ENV);

  if (done)
    return 0;
  if (set) {
    runner_log(r, "libguestfs: %s=%s from the environment", ACCEL_ENV, set);
    done = true;
    return 0;
  }
  switch (probe_kvm(&why)) {
  case PROBE_KVM_OK:
    runner_log(r, "libguestfs: KVM (%s)", why ? why : "it works");
    break;
  case PROBE_KVM_NONE:
    runner_log(r, "libguestfs: TCG, no KVM (%s)", why ? why : "none");
    break;
  case PROBE_KVM_BROKEN:
    if (setenv(ACCEL_ENV, "force_tcg", 1) < 0)
      return -1;
    runner_log(r, "libguestfs: TCG (%s=force_tcg), as %s", ACCEL_ENV,
               why ? why : "KVM cannot run a vCPU here");
    break;
  }
  done = true;
  return 0;
}
