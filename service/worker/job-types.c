/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <string.h>

#include "convert/convert-job.h"
#include "convert/inplace-job.h"
#include "convert/inspect-job.h"
#include "sync/sync-job.h"
#include "transfer/copy-job.h"
#include "transfer/export-job.h"
#include "util/jsonutil.h"
#include "worker/job-types.h"

static const struct worker_job_type job_types[] = {
  { "copy", copy_job_run },
  { "export", export_job_run },
  { "convert", convert_job_run },
  { "inplace", inplace_job_run },
  { "inspect", inspect_job_run },
  { "sync", sync_job_run },
};

const struct worker_job_type *worker_job_type(const char *name)
{
  for (size_t i = 0; name && i < sizeof job_types / sizeof job_types[0]; i++)
    if (strcmp(job_types[i].name, name) == 0)
      return &job_types[i];
  return NULL;
}

int worker_run_job(struct runner *r, json_object *result,
                   struct job_failure *f)
{
  const char *type = json_get_string(r->request, "type");
  const struct worker_job_type *t = worker_job_type(type);

  if (!t) {
    failure_set(f, "unsupported", "job type \"%s\" is not supported by this "
                "worker", type ? type : "");
    return -1;
  }
  return t->run(r, result, f);
}
