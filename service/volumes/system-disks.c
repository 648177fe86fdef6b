/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which whole disks the system itself uses: anything mounted or swapped
 * on them, a partition of them, or a device-mapper/md device stacked on
 * them (the boot disk under LVM).  Such a disk is never a destination. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/cleanup.h"
#include "volumes/volumes.h"

int mountinfo_line_devnum(const char *line, dev_t *dev)
{
  unsigned maj, min;

  /* mount-id parent-id major:minor root mount-point ... */
  if (sscanf(line, "%*u %*u %u:%u ", &maj, &min) != 2)
    return -1;
  *dev = makedev(maj, min);
  return 0;
}

static int add_dev(dev_t **v, size_t *n, dev_t dev)
{
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i] == dev)
      return 0;
  dev_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv)
    return -1;
  nv[(*n)++] = dev;
  *v = nv;
  return 0;
}

static int read_devnum(const char *file, dev_t *dev)
{
  _cleanup_fclose_ FILE *f = fopen(file, "re");
  unsigned maj, min;

  if (!f || fscanf(f, "%u:%u", &maj, &min) != 2)
    return -1;
  *dev = makedev(maj, min);
  return 0;
}

/* The whole disks under `dev`: its parent if it is a partition, the
 * disks under its slaves if it is stacked, else itself. */
static int add_disks_under(dev_t **v, size_t *n, dev_t dev, int depth)
{
  char sys[64], file[PATH_MAX];
  struct stat st;
  dev_t parent;

  if (depth > 8)
    return 0;
  snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u", major(dev), minor(dev));
  snprintf(file, sizeof file, "%s/partition", sys);
  if (stat(file, &st) == 0) {
    snprintf(file, sizeof file, "%s/../dev", sys);
    if (read_devnum(file, &parent) == 0)
      return add_disks_under(v, n, parent, depth + 1);
    return 0;
  }
  snprintf(file, sizeof file, "%s/slaves", sys);
  _cleanup_closedir_ DIR *d = opendir(file);
  bool stacked = false;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(file, sizeof file, "%s/slaves/%s/dev", sys, e->d_name);
    if (read_devnum(file, &parent) == 0) {
      stacked = true;
      if (add_disks_under(v, n, parent, depth + 1) < 0)
        return -1;
    }
  }
  return stacked ? 0 : add_dev(v, n, dev);
}

int system_disks(const char *mountinfo, const char *swaps, dev_t **out,
                 size_t *n)
{
  _cleanup_fclose_ FILE *mi = fopen(mountinfo, "re");
  _cleanup_fclose_ FILE *sw = fopen(swaps, "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  dev_t dev;
  struct stat st;

  *out = NULL;
  *n = 0;
  if (!mi)
    return -1;
  while (getline(&line, &cap, mi) > 0)
    if (mountinfo_line_devnum(line, &dev) == 0 && major(dev) != 0 &&
        add_disks_under(out, n, dev, 0) < 0)
      return -1;
  while (sw && getline(&line, &cap, sw) > 0) {
    char *sp = strpbrk(line, " \t");
    if (line[0] != '/' || !sp)
      continue;
    *sp = '\0';
    if (stat(line, &st) == 0 && S_ISBLK(st.st_mode) &&
        add_disks_under(out, n, st.st_rdev, 0) < 0)
      return -1;
  }
  return 0;
}
