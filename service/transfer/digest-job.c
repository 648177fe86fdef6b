/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "runner/volume-wait.h"
#include "transfer/digest-job.h"
#include "transfer/digest.h"
#include "transfer/incremental.h"
#include "util/cleanup.h"
#include "util/timeutil.h"

static int digest_disk(struct runner *r, size_t i,
                       const struct digest_disk *d, uint64_t chunk,
                       json_object *results, struct job_failure *f)
{
  _cleanup_free_ char *dev = NULL;
  _cleanup_free_ struct digest_piece *p = NULL;
  struct extents e = { 0 };
  const char *path = d->path;
  _cleanup_close_ int fd = -1;
  double t0 = time_monotonic();
  json_object *res;
  size_t n = 0, failed = 0;
  int64_t size;
  int ret = -1;

  if (d->volume.id) {
    if (volume_open(r, &d->volume, false, &dev, f) < 0) {
      failure_prefix(f, "disks[%zu].source: ", i);
      return -1;
    }
    path = dev;
  }
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
      (size = digest_fd_size(fd)) < 0) {
    failure_set(f, "source", "disks[%zu].source: %s: %s", i, path,
                strerror(errno));
    return -1;
  }
  /* as a pass takes a list of changed extents: sorted, merged, clipped */
  if (changes_from_list(d->extents, d->n_extents, (uint64_t)size, &e) < 0 ||
      digest_cut(&e, chunk, &p, &n) < 0) {
    failure_set(f, "internal", "out of memory");
    goto out;
  }
  runner_log(r, "disk %zu: digest of %llu bytes in %zu pieces of %s", i + 1,
             (unsigned long long)e.allocated, n, path);
  if (digest_compute(r, fd, &e, p, n, 0, &failed) < 0) {
    if (!r->kids.cancelled)
      failure_set(f, "source", "disks[%zu].source: %s: reading [%llu, "
                  "%llu]: %s", i, path,
                  (unsigned long long)p[failed].offset,
                  (unsigned long long)p[failed].length, strerror(errno));
    goto out;
  }
  res = json_object_new_object();
  json_object_object_add(res, "path", json_object_new_string(path));
  json_object_object_add(res, "size", json_object_new_int64(size));
  json_object_object_add(res, "bytes",
                         json_object_new_int64((int64_t)e.allocated));
  json_object_object_add(res, "seconds", json_object_new_double(
    (double)(int64_t)((time_monotonic() - t0) * 1000) / 1000));
  json_object_object_add(res, "digest", digest_json(p, n, chunk));
  json_object_array_add(results, res);
  runner_disk_progress(r, i, 100, e.allocated, e.allocated);
  ret = 0;
out:
  extents_free(&e);
  return ret;
}

int digest_job_run(struct runner *r, const struct job_request *req,
                   json_object *result, struct job_failure *f)
{
  const struct digest_request *d = &req->u.digest;
  json_object *results = json_object_new_array();

  json_object_object_add(result, "disks", results);
  runner_set_phase(r, "digesting");
  for (size_t i = 0; i < d->n_disks; i++) {
    if (digest_disk(r, i, &d->disks[i], d->chunk_bytes, results, f) < 0)
      return -1;
  }
  return 0;
}
