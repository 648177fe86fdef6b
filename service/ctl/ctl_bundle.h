/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl support-bundle: the command lines it runs, each built by one
 * function (unit tested), and the names it gives things. */
#ifndef UCH_CTL_BUNDLE_H
#define UCH_CTL_BUNDLE_H

#include <stddef.h>
#include <time.h>

#include "util/argv.h"

/* The units whose files and journal go in the bundle. */
extern const char *const bundle_units[];

/* journalctl of uchd's units and of the workers' transient units. */
int bundle_journal_argv(struct argv *a);
/* systemctl cat of uchd's units. */
int bundle_units_argv(struct argv *a);
int bundle_df_argv(struct argv *a);
int bundle_lsblk_argv(struct argv *a);
/* SELF check --quick --state-dir STATE_DIR */
int bundle_check_argv(struct argv *a, const char *self, const char *state_dir);
/* tar -czf OUT -C DIR NAME */
int bundle_tar_argv(struct argv *a, const char *out, const char *dir,
                    const char *name);
/* "uch-support-HOST-20261205T181500Z" */
void bundle_name(char *buf, size_t len, const char *host, time_t now);

#endif
