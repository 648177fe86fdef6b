/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/inspect-drives.h"
#include "convert/nic-pin.h"
#include "convert/nic-pin-job.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

int nic_pin_job_run(struct runner *r, char *const *paths,
                    const char *const *formats, size_t n,
                    const struct v2v_options *o, json_object *result,
                    struct job_failure *f)
{
  _cleanup_free_ char *helper = NULL, *req = NULL, *out = NULL;
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_json_ json_object *done = NULL;
  json_object *nics;

  if (nic_pin_count(o) == 0)
    return 0;
  if (!(helper = inspect_helper_path()) ||
      nic_pin_argv(&a, helper, r->rt_dir) < 0 ||
      asprintf(&req, "%s/%s", r->rt_dir, NIC_PIN_REQUEST_FILE) < 0 ||
      asprintf(&out, "%s/%s", r->rt_dir, NIC_PIN_RESULT_FILE) < 0) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  if (nic_pin_write_request(req, paths, formats, n, o) < 0) {
    failure_set(f, "internal", "%s: %s", req, strerror(errno));
    return -1;
  }
  runner_set_phase(r, "keeping NIC names");
  if (inspect_helper_run(r, "uch-inspect", &a, "options.macs[].ip on a "
                         "Linux guest needs", "nic_names_failed", f) < 0)
    return -1;
  done = json_read_path(out);
  if (!(nics = json_get(done, "nics"))) {
    failure_set(f, "internal", "%s: no result from uch-inspect", out);
    return -1;
  }
  json_object_object_add(result, "nics", json_object_get(nics));
  return 0;
}
