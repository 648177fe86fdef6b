/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job's progress is the disks' progress aggregated: bytes summed,
 * percent the mean of the disks' (so it never goes back when a later
 * disk's size becomes known), and state.json rewritten at most about
 * twice a second for progress alone. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/job.h"
#include "runner/runner.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "tap.h"

static double num(json_object *doc, const char *obj, const char *key)
{
  return json_object_get_double(json_get(json_get(doc, obj), key));
}

static json_object *disk(json_object *doc, int i)
{
  return json_object_array_get_idx(json_get(doc, "disks"), i);
}

int main(void)
{
  char dir[] = "/tmp/test-runner-progress.XXXXXX";
  _cleanup_json_ json_object *req = json_tokener_parse(
    "{\"type\":\"copy\",\"disks\":[{\"source\":{\"path\":\"/a\"},"
    "\"destination\":{\"path\":\"/b\"}},{\"source\":{\"path\":\"/c\"},"
    "\"destination\":{\"path\":\"/d\"}}]}");
  struct runner r;

  memset(&r, 0, sizeof r);
  r.kids.log_fd = -1;
  mkdtemp(dir);
  asprintf(&r.state_path, "%s/state.json", dir);
  r.doc = jobdoc_new("p", req);

  runner_disk_progress(&r, 0, 0, 0, 1000);
  is_int(num(r.doc, "progress", "bytes_total"), 1000, "first disk's total");
  runner_disk_progress(&r, 0, 50, 500, 1000);
  is_int(num(r.doc, "progress", "percent"), 25, "half of one of two disks");
  is_int(num(r.doc, "progress", "bytes_done"), 500, "bytes done");
  ok(access(r.state_path, F_OK) == 0, "state.json written");

  runner_disk_progress(&r, 0, 100, 1000, 1000);
  runner_disk_progress(&r, 1, 0, 0, 3000);
  is_int(num(r.doc, "progress", "percent"), 50, "still 50 when disk 2 starts");
  is_int(num(r.doc, "progress", "bytes_total"), 4000, "totals summed");
  runner_disk_progress(&r, 1, 100, 3000, 3000);
  is_int(num(r.doc, "progress", "percent"), 100, "both done: 100");
  is_int(json_object_get_int64(json_get(disk(r.doc, 1), "bytes_done")), 3000,
         "disk 2 bytes_done");
  runner_disk_progress(&r, 7, 100, 1, 1);
  is_int(num(r.doc, "progress", "bytes_total"), 4000, "unknown disk ignored");

  /* Progress alone: not rewritten again within half a second. */
  _cleanup_json_ json_object *before = json_read_path(r.state_path);
  runner_disk_progress(&r, 1, 99.5, 2990, 3000);
  _cleanup_json_ json_object *after = json_read_path(r.state_path);
  ok(json_object_equal(before, after), "throttled");
  ok(runner_write_state(&r) == 0, "explicit write");
  _cleanup_json_ json_object *now = json_read_path(r.state_path);
  is_int(num(now, "progress", "bytes_done"), 3990, "explicit write lands");

  json_object_put(r.doc);
  unlink(r.state_path);
  rmdir(dir);
  free(r.state_path);
  return tap_done();
}
