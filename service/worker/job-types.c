/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <stddef.h>

#include "convert/convert-job.h"
#include "convert/inplace-job.h"
#include "convert/inspect-job.h"
#include "sync/sync-job.h"
#include "transfer/copy-job.h"
#include "transfer/digest-job.h"
#include "transfer/export-job.h"
#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "worker/job-types.h"

static job_run_fn *const job_runs[JOB_KINDS] = {
  [JOB_COPY] = copy_job_run,
  [JOB_EXPORT] = export_job_run,
  [JOB_CONVERT] = convert_job_run,
  [JOB_INPLACE] = inplace_job_run,
  [JOB_INSPECT] = inspect_job_run,
  [JOB_SYNC] = sync_job_run,
  [JOB_DIGEST] = digest_job_run,
};

job_run_fn *worker_job_run(enum job_kind kind)
{
  assert((unsigned)kind < JOB_KINDS && job_runs[kind]);
  return job_runs[kind];
}

int worker_run_job(struct runner *r, json_object *result,
                   struct job_failure *f)
{
  _cleanup_(job_request_freep) struct job_request *req = NULL;
  struct uch_error err = { 0 };

  if (!job_type_of(r->request)) {
    const char *type = json_get_string(r->request, "type");
    failure_set(f, "unsupported", "job type \"%s\" is not supported by this "
                "worker", type ? type : "");
    return -1;
  }
  /* the same parser as uchd's at submit, so the run functions get the
   * request typed, with its defaults */
  if (request_load(r->request, &req, &err) < 0) {
    failure_set(f, "invalid_request", "%s", err.message);
    return -1;
  }
  return worker_job_run(req->kind)(r, req, result, f);
}
