/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The predicted downtime of a sync job: what its cutover would take if
 * it came one more interval after the last pass, reckoned from the
 * passes so far and the last rehearsal's conversion time.  Pure. */
#ifndef UCH_SYNC_PREDICT_H
#define UCH_SYNC_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pass_fact {
  double start;         /* seconds, any origin (the same for every pass) */
  double seconds;       /* how long the pass took */
  int64_t bytes;        /* what it read and wrote */
  bool full;            /* pass 1 */
};

struct prediction {
  bool known;           /* false: too few passes (why says why) */
  double cutover_s;     /* copy_s + conversion_s */
  double copy_s;        /* the last pass: at the last incremental one's pace */
  double conversion_s;  /* the last rehearsal's; < 0 when none ran */
  double overhead_s;    /* a pass's cost beyond its bytes */
  double throughput;    /* bytes/s, of the largest pass */
  double change_rate;   /* bytes/s changed, the last incremental pass's */
  double gap_s;         /* the time the cutover pass would catch up on */
  int64_t bytes;        /* change_rate * gap_s */
  char how[512];        /* the reckoning in words, with the figures */
};

/* N passes, oldest first; INTERVAL_S the job's (0: passes on request,
 * the gap is then the last one between two passes' starts);
 * CONVERSION_S the last successful rehearsal's, < 0 when none. */
void sync_predict(const struct pass_fact *passes, size_t n,
                  double interval_s, double conversion_s,
                  struct prediction *out);

#endif
