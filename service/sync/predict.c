/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The expected cutover of a sync job (sync/predict.h).
 *
 * change rate  what the last incremental pass copied over the time it
 *              covered, from the previous pass's start to its own: the
 *              guest's latest pace (an older gap may hold a rehearsal
 *              or a long wait, over which the same blocks are written
 *              again and again, which lowers the rate it shows);
 * gap          the job's interval_s, else that last gap;
 * bytes        change rate * gap: what the cutover pass would copy;
 * copy         the last incremental pass's time scaled by bytes over
 *              the bytes it copied (its own speed, with the per-pass
 *              start-up and flush: extents are slower to copy than pass
 *              1's sequential read); the last pass's time when it
 *              copied nothing;
 * overhead     (shown) what an incremental pass took at least beyond
 *              its bytes at the largest pass's throughput;
 * cutover      copy + the conversion time the last good rehearsal took.
 *
 * bench/rehearsal measures it against real cutovers (bench/README.md,
 * "Predicted downtime"); model 1, the rate averaged over every
 * incremental pass and the copy at pass 1's throughput, predicted the
 * cutover pass at 0.57x its bytes and 0.25x its time. */
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
  double overhead = -1;
  size_t largest = 0, incremental = 0, last = 0;
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
    last = i;
    o = passes[i].seconds - (double)passes[i].bytes / out->throughput;
    if (o < 0)
      o = 0;
    if (overhead < 0 || o < overhead)
      overhead = o;
  }
  if (!incremental) {
    say(out, "needs an incremental pass after the full one: no change "
        "rate yet");
    return;
  }
  out->gap_s = passes[last].start - passes[last - 1].start;
  out->change_rate = (double)passes[last].bytes / out->gap_s;
  if (interval_s > 0)
    out->gap_s = interval_s;
  out->overhead_s = overhead;
  out->bytes = (int64_t)(out->change_rate * out->gap_s);
  out->copy_s = passes[last].bytes > 0
    ? passes[last].seconds * (double)out->bytes / (double)passes[last].bytes
    : passes[last].seconds;
  out->cutover_s = out->copy_s + (conversion_s > 0 ? conversion_s : 0);
  out->known = true;
  if (conversion_s >= 0)
    snprintf(conv, sizeof conv, "+ conversion %.1f s (the last rehearsal's)",
             conversion_s);
  else
    snprintf(conv, sizeof conv, "+ conversion unknown (no rehearsal has "
             "succeeded: ask for one to know it)");
  snprintf(out->how, sizeof out->how,
           "last pass %.1f s: %lld bytes at pass %zu's pace (%lld bytes in "
           "%.2f s); %lld bytes = %.0f B/s changed (pass %zu's bytes over "
           "the %.0f s since the pass before started) over %.0f s (%s) %s",
           out->copy_s, (long long)out->bytes, last + 1,
           (long long)passes[last].bytes, passes[last].seconds,
           (long long)out->bytes, out->change_rate, last + 1,
           passes[last].start - passes[last - 1].start, out->gap_s,
           interval_s > 0 ? "interval_s" : "the last gap between passes",
           conv);
}
