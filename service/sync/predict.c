/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The expected cutover of a sync job (sync/predict.h).
 *
 * throughput   the bytes of the largest pass over its time (pass 1
 *              as a rule: dominated by data, not by start-up);
 * overhead     what an incremental pass costs beyond its bytes at that
 *              throughput (the least of them: start-up, flush);
 * change rate  the bytes the incremental passes copied over the time
 *              they covered, each from the previous pass's start to its
 *              own (what changed while the source ran);
 * gap          the job's interval_s, else the last gap between passes;
 * cutover      overhead + rate * gap / throughput, plus the conversion
 *              time the last rehearsal took. */
#include <stdio.h>
#include <string.h>

#include "sync/predict.h"

static void say(struct prediction *p, const char *what)
{
  snprintf(p->how, sizeof p->how, "%s", what);
}

void sync_predict(const struct pass_fact *passes, size_t n,
                  double interval_s, double conversion_s,
                  struct prediction *out)
{
  double covered = 0, changed = 0, overhead = -1;
  size_t largest = 0, incremental = 0;
  char conv[160];

  memset(out, 0, sizeof *out);
  out->conversion_s = conversion_s;
  if (n < 2) {
    say(out, "needs two passes: the change rate is what the second one "
        "copied over the time since the first started");
    return;
  }
  for (size_t i = 1; i < n; i++)
    if (passes[i].bytes > passes[largest].bytes)
      largest = i;
  if (passes[largest].bytes <= 0 || passes[largest].seconds <= 0) {
    say(out, "no pass has copied data yet: no throughput to reckon with");
    return;
  }
  out->throughput = (double)passes[largest].bytes / passes[largest].seconds;
  for (size_t i = 1; i < n; i++) {
    double gap = passes[i].start - passes[i - 1].start, o;
    if (passes[i].full || gap <= 0)
      continue;
    incremental++;
    covered += gap;
    changed += (double)passes[i].bytes;
    o = passes[i].seconds - (double)passes[i].bytes / out->throughput;
    if (o < 0)
      o = 0;
    if (overhead < 0 || o < overhead)
      overhead = o;
    out->gap_s = gap;
  }
  if (!incremental) {
    say(out, "needs an incremental pass after the full one: no change "
        "rate yet");
    return;
  }
  if (interval_s > 0)
    out->gap_s = interval_s;
  out->change_rate = changed / covered;
  out->overhead_s = overhead;
  out->bytes = (int64_t)(out->change_rate * out->gap_s);
  out->copy_s = overhead + (double)out->bytes / out->throughput;
  out->cutover_s = out->copy_s + (conversion_s > 0 ? conversion_s : 0);
  out->known = true;
  if (conversion_s >= 0)
    snprintf(conv, sizeof conv, "+ conversion %.1f s (the last rehearsal's)",
             conversion_s);
  else
    snprintf(conv, sizeof conv, "+ conversion unknown (no rehearsal has "
             "succeeded: ask for one to know it)");
  snprintf(out->how, sizeof out->how,
           "last pass %.1f s = %.1f s a pass + %lld bytes at %.0f B/s "
           "(pass %zu's rate); %lld bytes = %.0f B/s changed (%zu "
           "incremental pass%s) over %.0f s (%s) %s",
           out->copy_s, overhead, (long long)out->bytes, out->throughput,
           largest + 1, (long long)out->bytes, out->change_rate, incremental,
           incremental == 1 ? "" : "es", out->gap_s,
           interval_s > 0 ? "interval_s" : "the last gap between passes",
           conv);
}
