/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which whole disks the system itself uses: anything mounted or swapped
 * on them, a partition of them, or a device-mapper/md device stacked on
 * them (the boot disk under LVM).  Such a disk is never a destination.
 * Mounts and swaps are read by libmount. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <libmount.h>

#include "util/cleanup.h"
#include "volumes/volumes.h"

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

static void table_freep(struct libmnt_table **t)
{
  if (*t) {
    int saved = errno;
    mnt_unref_table(*t);
    errno = saved;
  }
}

static void iter_freep(struct libmnt_iter **i)
{
  if (*i)
    mnt_free_iter(*i);
}

/* Every entry of TB through ADD. */
static int each_fs(struct libmnt_table *tb, dev_t **out, size_t *n,
                   bool swaps)
{
  _cleanup_(iter_freep) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
  struct libmnt_fs *fs;
  struct stat st;
  dev_t dev;

  if (!it) {
    errno = ENOMEM;
    return -1;
  }
  while (mnt_table_next_fs(tb, it, &fs) == 0) {
    if (swaps) {
      /* a swap partition, not a swap file: the disk under it */
      const char *src = mnt_fs_get_source(fs);
      if (!src || stat(src, &st) < 0 || !S_ISBLK(st.st_mode))
        continue;
      dev = st.st_rdev;
    } else {
      dev = mnt_fs_get_devno(fs);
      if (major(dev) == 0)      /* proc, tmpfs, overlay...: no disk */
        continue;
    }
    if (add_disks_under(out, n, dev, 0) < 0)
      return -1;
  }
  return 0;
}

int system_disks(const char *mountinfo, const char *swaps, dev_t **out,
                 size_t *n)
{
  _cleanup_(table_freep) struct libmnt_table *mi = mnt_new_table();
  _cleanup_(table_freep) struct libmnt_table *sw = mnt_new_table();
  int r;

  *out = NULL;
  *n = 0;
  if (!mi || !sw) {
    errno = ENOMEM;
    return -1;
  }
  /* libmount reads both as util-linux does (mountinfo's escapes,
   * swaps' header and its "(deleted)" files) */
  if ((r = mnt_table_parse_file(mi, mountinfo)) < 0) {
    errno = r == -1 ? EINVAL : -r;
    return -1;
  }
  if (each_fs(mi, out, n, false) < 0)
    return -1;
  /* no /proc/swaps (swap not built into the kernel): no swap */
  if (mnt_table_parse_swaps(sw, swaps) == 0 && each_fs(sw, out, n, true) < 0)
    return -1;
  return 0;
}
