/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl logs: print a job's log; with -f keep printing until the job is
 * final and everything it wrote has been printed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctl/ctl_commands.h"
#include "jobs/job.h"
#include "util/cleanup.h"

#define FOLLOW_POLL_NS 300000000L

/* Whether the job has ended; -1 (after printing why) when unknown. */
static int job_is_final(struct ctl_ctx *x, const char *id, int *rc)
{
  _cleanup_free_ char *path = ctl_job_path(x, id, "");
  _cleanup_json_ json_object *job = NULL;
  struct ctl_response r;

  *rc = CTL_EXIT_FAILED;
  if (!path || (*rc = ctl_call(x, "GET", path, NULL, 0, &r)) != 0)
    return -1;
  job = ctl_parse_body(&r);
  ctl_response_free(&r);
  if (!job) {
    *rc = CTL_EXIT_FAILED;
    return -1;
  }
  return job_state_is_final(jobdoc_state(job));
}

/* Print everything from *offset to the log's current end.  uchd answers
 * in chunks of bounded size, so ask again until an answer is empty; its
 * X-Log-Size says where to continue. */
static int print_new(struct ctl_ctx *x, const char *id, long long *offset)
{
  for (;;) {
    char suffix[64];
    _cleanup_free_ char *path = NULL;
    struct ctl_response r;
    size_t got;
    int rc;

    snprintf(suffix, sizeof suffix, "/log?offset=%lld", *offset);
    if (!(path = ctl_job_path(x, id, suffix)))
      return CTL_EXIT_FAILED;
    if ((rc = ctl_call(x, "GET", path, NULL, 0, &r)) != 0)
      return rc;
    got = r.len;
    fwrite(r.body, 1, got, stdout);
    fflush(stdout);
    *offset = r.log_size >= 0 ? r.log_size : *offset + (long long)got;
    ctl_response_free(&r);
    if (got == 0)
      return 0;
  }
}

int cmd_logs(struct ctl_ctx *x)
{
  const char *id = x->o->args[0];
  long long offset = 0;
  int rc, final = 0;

  for (;;) {
    /* Final before the read: then the read sees all there will be. */
    if (x->o->follow && (final = job_is_final(x, id, &rc)) < 0)
      return rc;
    if ((rc = print_new(x, id, &offset)) != 0)
      return rc;
    if (!x->o->follow || final)
      return 0;
    nanosleep(&(struct timespec){ 0, FOLLOW_POLL_NS }, NULL);
  }
}
