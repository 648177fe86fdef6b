/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "runner/volume-wait.h"
#include "util/timeutil.h"
#include "volumes/volume-open.h"
#include "volumes/volumes.h"

/* how often an attaching volume is looked for */
#define POLL_MS 250

int volume_open(struct runner *r, const struct rq_volume *v,
                bool destination, char **path, struct job_failure *f)
{
  const char *id = v->id;
  int64_t wait_s = v->wait_s;
  double end = time_monotonic() + (double)wait_s;
  const char *dir = volume_by_id_dir();
  bool said = false;

  for (;;) {
    int ret = volume_resolve(dir, id, destination, path, f);
    if (ret == 0)
      runner_log(r, "volume %s is %s", id, *path);
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
