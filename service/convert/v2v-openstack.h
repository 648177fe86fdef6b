/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A convert job's output.openstack: the openstack client virt-v2v runs
 * must be there, and the credentials go into the environment virt-v2v
 * (and that client) inherit, from the job's secret file. */
#ifndef UCH_V2V_OPENSTACK_H
#define UCH_V2V_OPENSTACK_H

#include "jobs/job-request.h"
#include "runner/runner.h"

/* Nothing without output.openstack.  Else: `openstack` on PATH (else
 * missing_dependency naming it), then OS_CLIENT_CONFIG_FILE=SECRET and
 * OS_CLOUD=cloud, or each OS_* of the env_file.  0, or -1 with f set. */
int v2v_openstack_prepare(struct runner *r, const struct convert_request *req,
                          struct job_failure *f);

#endif
