/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "volumes/volume-open.h"
#include "volumes/volumes.h"

int block_destination_check(const char *path, struct job_failure *f)
{
  _cleanup_free_ dev_t *sys = NULL;
  size_t n = 0;
  struct stat st;

  if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
    return 0;
  if (system_disks("/proc/self/mountinfo", "/proc/swaps", &sys, &n) < 0) {
    failure_set(f, "destination", "%s: cannot tell whether it is in use: "
                "/proc/self/mountinfo: %s", path, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    if (sys[i] == st.st_rdev) {
      failure_set(f, "destination", "%s is used by the system (it or a "
                  "partition on it is mounted, swap, or under LVM/md): it is "
                  "never a destination", path);
      return -1;
    }
  return 0;
}

static int found(const struct volume *v, const char *id, bool destination,
                 char **path, struct job_failure *f)
{
  const char *code = destination ? "destination" : "source";

  if (destination && v->read_only) {
    failure_set(f, code, "volume %s (%s) is read-only", id, v->path);
    return -1;
  }
  if (destination && v->mounted) {
    failure_set(f, code, "volume %s (%s) is used by the system (mounted, "
                "swap, or under LVM/md): it is never a destination", id,
                v->path);
    return -1;
  }
  if (!(*path = strdup(v->path)))
    return -1;
  return 0;
}

int volume_resolve(const char *by_id_dir, const char *id, bool destination,
                   char **path, struct job_failure *f)
{
  struct volume_list l;
  const struct volume *v;
  int ret;

  if (volumes_list(by_id_dir, &l) < 0) {
    failure_set(f, "internal", "listing block devices: %s", strerror(errno));
    return -1;
  }
  v = volume_find(&l, id);
  ret = v ? found(v, id, destination, path, f) : 1;
  volume_list_free(&l);
  return ret;
}
