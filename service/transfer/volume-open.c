#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "timeutil.h"
#include "volume-open.h"
#include "volumes.h"

/* how often an attaching volume is looked for */
#define POLL_MS 250

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

int volume_open(struct runner *r, json_object *o, bool destination,
                char **path, struct job_failure *f)
{
  const char *id = json_get_string(o, "volume");
  json_object *w = json_get(o, "wait_s");
  int64_t wait_s = w ? json_object_get_int64(w) : 0;
  double end = time_monotonic() + (double)wait_s;
  const char *dir = volume_by_id_dir();
  bool said = false;

  for (;;) {
    struct volume_list l;
    if (volumes_list(dir, &l) < 0) {
      failure_set(f, "internal", "listing block devices: %s",
                  strerror(errno));
      return -1;
    }
    const struct volume *v = volume_find(&l, id);
    int ret = v ? found(v, id, destination, path, f) : 1;
    if (v)
      runner_log(r, "volume %s is %s", id, v->path);
    volume_list_free(&l);
    if (ret <= 0)
      return ret;
    if (time_monotonic() >= end)
      break;
    if (!said) {
      runner_log(r, "waiting up to %lld s for volume %s", (long long)wait_s,
                 id);
      said = true;
    }
    children_poll(&r->kids, -1, POLL_MS);
    if (r->kids.cancelled)
      return -1;
  }
  failure_set(f, destination ? "destination" : "source",
              "volume %s is not attached (waited %lld s): no block device "
              "has serial '%.20s' and no name in %s points at it", id,
              (long long)wait_s, id, dir);
  return -1;
}
