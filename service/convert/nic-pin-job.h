/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A job's step that keeps a Linux guest's NIC names (convert/nic-pin.h
 * says why): uch-inspect --pin-nics on the guest's disks, what it did
 * for each NIC into result.nics.  The inplace job runs it on its
 * overlays before virt-v2v-in-place (so the initramfs it rebuilds holds
 * the rule), the convert job on the disks virt-v2v wrote. */
#ifndef UCH_NIC_PIN_JOB_H
#define UCH_NIC_PIN_JOB_H

#include <stddef.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"

/* Phase "keeping NIC names"; nothing when O has no "ip" mapping.  The
 * disks PATHS (FORMATS: "raw", "qcow2") are written.  0, or -1 with f
 * set: missing_dependency when the helper is not there,
 * nic_names_failed when it failed. */
int nic_pin_job_run(struct runner *r, char *const *paths,
                    const char *const *formats, size_t n,
                    const struct v2v_options *o, json_object *result,
                    struct job_failure *f);

#endif
