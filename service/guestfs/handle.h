/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What uch-inspect's two modes (inspection, --pin-nics) share: the
 * handle, its cleanup, quiet calls, phases on stdout for uch-job, and
 * mounting an inspected root. */
#ifndef UCH_GUESTFS_HANDLE_H
#define UCH_GUESTFS_HANDLE_H

#include <stdbool.h>
#include <stdlib.h>
#include <guestfs.h>

static inline void gfs_closep(guestfs_h **g)
{
  if (*g)
    guestfs_close(*g);
}
#define _cleanup_gfs_ __attribute__((cleanup(gfs_closep)))

static inline void strings_freep(char ***p)
{
  if (*p) {
    for (char **s = *p; *s; s++)
      free(*s);
    free(*p);
  }
}
#define _cleanup_strings_ __attribute__((cleanup(strings_freep)))

/* Calls whose failure only means "not there": no error in the log. */
#define QUIET(g, call) ({                              \
      guestfs_push_error_handler((g), NULL, NULL);     \
      __typeof__(call) _r = (call);                    \
      guestfs_pop_error_handler(g);                    \
      _r; })

/* "phase NAME" on stdout, which uch-job shows as the job's phase. */
void gfs_phase(const char *name);

/* A handle on the direct backend (qemu our child, in our process
 * group, so that a cancel reaches it; LIBGUESTFS_BACKEND still wins
 * when set); NULL after an error on stderr. */
guestfs_h *gfs_open(void);

/* The root's filesystems at their mount points (MOUNTPOINTS as
 * guestfs_inspect_get_mountpoints gives them, sorted here), shortest
 * first, read-only or not; one that does not mount is said on
 * stdout. */
void gfs_mount_root(guestfs_h *g, char **mountpoints, bool readonly);

#endif
