/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "api/wait-query.h"
#include "jobs/job.h"
#include "util/jsonutil.h"

int wait_query_parse(const char *wait_s, const char *until,
                     struct wait_query *q, const char **field, char *msg,
                     size_t msg_size)
{
  memset(q, 0, sizeof *q);
  if (wait_s) {
    size_t n = strspn(wait_s, "0123456789");
    unsigned v = 0;

    if (n == 0 || wait_s[n] != '\0' || n > 3 ||
        (sscanf(wait_s, "%u", &v), v > WAIT_S_MAX)) {
      *field = "wait_s";
      snprintf(msg, msg_size, "wait_s: '%s' is not a whole number of "
               "seconds from 0 to %d", wait_s, WAIT_S_MAX);
      return -1;
    }
    q->wait_s = v;
  }
  if (until) {
    if (!wait_s) {
      *field = "until";
      snprintf(msg, msg_size, "until: only with wait_s (how long to wait)");
      return -1;
    }
    if (strcmp(until, "final") == 0)
      q->until = WAIT_UNTIL_FINAL;
    else if (strcmp(until, "served") == 0)
      q->until = WAIT_UNTIL_SERVED;
    else {
      *field = "until";
      snprintf(msg, msg_size, "until: '%s' is not one of final, served",
               until);
      return -1;
    }
  }
  return 0;
}

bool wait_query_done(json_object *doc, enum wait_until until)
{
  if (job_state_is_final(jobdoc_state(doc)))
    return true;
  if (until == WAIT_UNTIL_SERVED) {
    const char *phase = json_get_string(doc, "phase");
    return phase && (strcmp(phase, "serving") == 0 ||
                     strcmp(phase, "idle") == 0);
  }
  return false;
}
