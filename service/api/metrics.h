/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /metrics in the Prometheus text format.  The formatting is pure,
 * so unit tests check it line by line. */
#ifndef UCH_API_METRICS_H
#define UCH_API_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "uchd/store.h"

/* The process, as every Prometheus client library reports it. */
struct metrics_process {
  double cpu_seconds, start_time;
  double resident_bytes, virtual_bytes;
  double open_fds, max_fds;
};

struct metrics_input {
  struct job **jobs;
  size_t n_jobs;
  const unsigned long long *http_responses;   /* indexed by code */
  size_t n_codes;
  int slots_max;
  unsigned http_waiting;                       /* long polls suspended */
  json_object *ledger;                         /* metrics_account's */
  const struct metrics_process *process;       /* NULL: left out */
  const char *version;
};

/* A malloc'd text; NULL on allocation failure. */
char *metrics_format(const struct metrics_input *in);

/* The counters live in a ledger (a JSON object, kept in
 * STATE/metrics.json across restarts of uchd) so that they only ever
 * grow: jobs come and go (DELETE, a restart by resubmitting), their
 * progress restarts at each pass, but what a counter counted stays.
 * metrics_account() adds to the ledger what `jobs` did since it last
 * looked at them: bytes (by type), each job that ended (by type, state
 * and error code, and its duration), each sync pass (its duration).  A
 * job is known by its id and restarts; one the ledger knows no more is
 * dropped from it, its counts kept.  Returns true when it changed. */
bool metrics_account(json_object *ledger, struct job **jobs, size_t n);
/* A new, empty ledger; NULL on allocation failure. */
json_object *metrics_ledger_new(void);

struct uchd;
/* Accounts uchd's jobs in its ledger (loaded from STATE/metrics.json
 * once) and saves the ledger when it changed.  Each scrape does, and
 * DELETE before it forgets a job. */
void metrics_update(struct uchd *d);
/* Prometheus label value escaping: \\, \" and \n. */
char *metrics_label_escape(const char *s);

#endif
