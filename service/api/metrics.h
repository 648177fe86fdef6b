/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /metrics in the Prometheus text format.  The formatting is pure,
 * so unit tests check it line by line. */
#ifndef UCH_API_METRICS_H
#define UCH_API_METRICS_H

#include <stddef.h>

#include "uchd/store.h"

struct metrics_input {
  struct job **jobs;
  size_t n_jobs;
  const unsigned long long *http_responses;   /* indexed by code */
  size_t n_codes;
  int slots_max;
  double bytes_forgotten;                      /* of deleted jobs */
  const char *version;
};

/* A malloc'd text; NULL on allocation failure. */
char *metrics_format(const struct metrics_input *in);
/* Prometheus label value escaping: \\, \" and \n. */
char *metrics_label_escape(const char *s);

#endif
