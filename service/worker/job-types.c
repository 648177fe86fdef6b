/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <stddef.h>

#include "convert/convert-job.h"
#include "convert/inplace-job.h"
#include "convert/inspect-job.h"
#include "sync/sync-job.h"
#include "transfer/copy-job.h"
#include "transfer/export-job.h"
#include "util/jsonutil.h"
#include "worker/job-types.h"

static runner_job_fn *const job_runs[JOB_KINDS] = {
  [JOB_COPY] = copy_job_run,
  [JOB_EXPORT] = export_job_run,
  [JOB_CONVERT] = convert_job_run,
  [JOB_INPLACE] = inplace_job_run,
  [JOB_INSPECT] = inspect_job_run,
  [JOB_SYNC] = sync_job_run,
};

runner_job_fn *worker_job_run(enum job_kind kind)
{
  assert((unsigned)kind < JOB_KINDS && job_runs[kind]);
  return job_runs[kind];
}

int worker_run_job(struct runner *r, json_object *result,
                   struct job_failure *f)
{
  const struct job_type *t = job_type_of(r->request);

  if (!t) {
    const char *type = json_get_string(r->request, "type");
    failure_set(f, "unsupported", "job type \"%s\" is not supported by this "
                "worker", type ? type : "");
    return -1;
  }
  return worker_job_run(t->kind)(r, result, f);
}
