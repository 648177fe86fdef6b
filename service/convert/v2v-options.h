/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a convert or inplace request's "options" need of the worker
 * before virt-v2v runs: the LUKS keys' secret files, and the
 * appliance's size, as virt-v2v's own options where it has them or
 * through libguestfs's environment where it does not. */
#ifndef UCH_V2V_OPTIONS_H
#define UCH_V2V_OPTIONS_H

#include "convert/v2v-argv.h"
#include "runner/runner.h"

struct v2v_options_run {
  char **keys;                  /* secret files, one a luks_keys[i] */
  size_t n_keys;
};

/* PROGRAM --help: read for "--memsize" and "--smp". */
int v2v_help_argv(struct argv *a, const char *program);

/* Fills files->luks_keys, n_luks_keys and appliance_flags from
 * `options`, the request's typed ones (PROGRAM: virt-v2v or virt-v2v-in-place, full
 * path).  memsize_mib without virt-v2v's --memsize becomes
 * LIBGUESTFS_MEMSIZE; smp without --smp fails naming the field.
 * Returns 0, or -1 with f set. */
int v2v_options_prepare(struct runner *r, const char *program,
                        const struct v2v_options *options,
                        struct v2v_options_run *o,
                        struct v2v_files *files, struct job_failure *f);
void v2v_options_free(struct v2v_options_run *o);

#endif
