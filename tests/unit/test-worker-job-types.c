/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One entry per job type: jobs/ has its name, check and disks, the
 * worker its run function, both found by the kind. */
#include <json-c/json.h>

#include "jobs/job-types.h"
#include "worker/job-types.h"
#include "tap.h"

int main(void)
{
  static const char *const names[JOB_KINDS] = {
    "copy", "export", "convert", "inplace", "inspect", "sync", "digest",
  };

  for (int k = 0; k < JOB_KINDS; k++) {
    const struct job_type *t = job_type_find(names[k]);
    ok(t && t->kind == (enum job_kind)k && job_type_get(t->kind) == t,
       "%s: found by its name, entry of its kind", names[k]);
    ok(t && t->parse && t->disks && worker_job_run(t->kind),
       "%s: parse, disks and run", names[k]);
  }
  ok(!job_type_find("Copy") && !job_type_find("") && !job_type_find(NULL),
     "no other name");
  json_object *r = json_tokener_parse("{\"type\":\"sync\"}");
  ok(job_type_of(r) == job_type_get(JOB_SYNC), "a request's entry");
  json_object_put(r);
  return tap_done();
}
