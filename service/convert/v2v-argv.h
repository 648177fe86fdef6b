/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virt-v2v command line of a convert job, built from the job's
 * (already validated) request by one function, so tests compare it as a
 * string.  Secrets reach virt-v2v as files only: "-ip FILE" for the
 * hypervisor password, "--key DEV:file:FILE" for LUKS keys; an ssh key
 * goes to an ssh-agent, never to argv.
 *
 * It reads the typed request (struct convert_request,
 * jobs/job-request.h, filled by jobs/request_convert.c), never JSON.
 */
#ifndef UCH_V2V_ARGV_H
#define UCH_V2V_ARGV_H

#include <stdbool.h>
#include <stddef.h>
#include "jobs/job-request.h"
#include "util/argv.h"

/* Files the worker made for this run; NULL where not needed. */
struct v2v_files {
  const char *machine_readable;  /* --machine-readable=file:PATH */
  const char *password;          /* vCenter password, "-ip FILE" */
  const char *const *luks_keys;  /* one file per options.luks_keys[i] */
  size_t n_luks_keys;
  const char *block_dir;         /* -o local into symlinks to devices */
  bool appliance_flags;          /* virt-v2v has --memsize and --smp */
};

/* virt-v2v ... for REQUEST.  Returns -1 with *why set (static text) on a
 * request it cannot express; argv is then incomplete. */
int v2v_argv(struct argv *a, const struct convert_request *request,
             const struct v2v_files *files, const char **why);

/* PROGRAM [--machine-readable=file:MR] -i libvirtxml [options] XML: an
 * inplace job's run of virt-v2v-in-place (PROGRAM is its full path) on
 * the domain XML the worker wrote.  OPTS, the request's typed "options"
 * (or NULL), are read as for convert (root, macs, LUKS keys, appliance size,
 * extra_args); FILES as for v2v_argv (machine_readable, luks_keys,
 * appliance_flags). */
int v2v_inplace_argv(struct argv *a, const char *program,
                     const struct v2v_options *opts,
                     const struct v2v_files *files, const char *xml,
                     const char **why);

#endif
