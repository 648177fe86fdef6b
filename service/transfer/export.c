#include "export.h"

int export_job_run(struct runner *r, json_object *result,
                   struct job_failure *f)
{
  (void)r;
  (void)result;
  failure_set(f, "unsupported", "export jobs are not built yet");
  return -1;
}
