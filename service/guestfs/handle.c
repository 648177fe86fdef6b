/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestfs/handle.h"

void gfs_phase(const char *name)
{
  printf("phase %s\n", name);
  fflush(stdout);
}

guestfs_h *gfs_open(void)
{
  guestfs_h *g = guestfs_create();

  if (!g) {
    fprintf(stderr, "uch-inspect: error: cannot create a libguestfs handle\n");
    return NULL;
  }
  if (!getenv("LIBGUESTFS_BACKEND") && guestfs_set_backend(g, "direct") < 0) {
    guestfs_close(g);
    return NULL;
  }
  return g;
}

static int by_length(const void *a, const void *b)
{
  return (int)strlen(*(char *const *)a) - (int)strlen(*(char *const *)b);
}

void gfs_mount_root(guestfs_h *g, char **mountpoints, bool readonly)
{
  size_t n = 0;

  while (mountpoints && mountpoints[2 * n])
    n++;
  qsort(mountpoints, n, 2 * sizeof *mountpoints, by_length);
  for (size_t i = 0; i < n; i++) {
    const char *dev = mountpoints[2 * i + 1], *mp = mountpoints[2 * i];
    int r = readonly ? QUIET(g, guestfs_mount_ro(g, dev, mp))
                     : QUIET(g, guestfs_mount(g, dev, mp));
    if (r < 0)
      printf("could not mount %s at %s\n", dev, mp);
  }
}
