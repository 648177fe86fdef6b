/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where an nbdkit filter of ours (filters/, built as
 * uch-NAME-filter.so) is installed. */
#ifndef UCH_FILTER_PATH_H
#define UCH_FILTER_PATH_H

/* FILE beside the running uch-job (the build tree, or LIBEXECDIR/uch
 * where `make install` puts both), else in LIBEXECDIR/uch.  NULL when
 * it is in neither; then *tried (the caller frees it) names where it
 * was looked for besides LIBEXECDIR/uch. */
char *uch_filter_path(const char *file, char **tried);

#endif
