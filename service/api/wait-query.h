/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /v1/jobs/{id}?wait_s=N&until=final|served, the long poll: its
 * query parsed, and whether a job is what it waits for.  Pure, so it is
 * unit tested. */
#ifndef UCH_API_WAIT_QUERY_H
#define UCH_API_WAIT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* The longest wait one GET may ask for (s); a client waits longer with
 * one GET after another. */
#define WAIT_S_MAX 60

enum wait_until {
  WAIT_UNTIL_FINAL,     /* succeeded, failed or cancelled */
  WAIT_UNTIL_SERVED,    /* final, or phase serving or idle (an export) */
};

struct wait_query {
  unsigned wait_s;      /* 0: answer at once */
  enum wait_until until;
};

/* Parses the two query values (NULL: not given).  0, or -1 with *field
 * the parameter at fault and `msg` saying why. */
int wait_query_parse(const char *wait_s, const char *until,
                     struct wait_query *q, const char **field, char *msg,
                     size_t msg_size);
/* Whether the job document `doc` is what `until` waits for. */
bool wait_query_done(json_object *doc, enum wait_until until);

#endif
