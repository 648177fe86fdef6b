/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The predicted cutover of a sync job (sync/predict.c): too few passes
 * say why; then last-pass copy time from throughput, overhead and
 * change rate, plus the rehearsal's conversion time. */
#include <math.h>
#include <string.h>

#include "sync/predict.h"
#include "tap.h"

static bool near(double a, double b)
{
  return fabs(a - b) < 1e-6;
}

static void too_few(void)
{
  struct pass_fact one[] = { { 0, 10, 1000, true } };
  struct pass_fact nodata[] = { { 0, 1, 0, true }, { 5, 1, 0, false } };
  struct prediction p;

  sync_predict(one, 1, 0, -1, &p);
  ok(!p.known && strstr(p.how, "two passes"), "one pass: not known, why");
  sync_predict(nodata, 2, 0, 5, &p);
  ok(!p.known && strstr(p.how, "throughput"), "no data: no throughput");
}

static void reckoned(void)
{
  /* pass 1: 1000 MB in 100 s (10 MB/s); pass 2 60 s later: 20 MB in
   * 3 s (1 s beyond its bytes); pass 3 40 s after it: 30 MB in 4 s */
  struct pass_fact passes[] = {
    { 0, 100, 1000000000, true },
    { 160, 3, 20000000, false },
    { 200, 4, 30000000, false },
  };
  struct prediction p;

  sync_predict(passes, 3, 0, 90, &p);
  ok(p.known, "three passes: known");
  ok(near(p.throughput, 1e7), "throughput of the largest pass");
  ok(near(p.overhead_s, 1), "overhead: the least beyond the bytes");
  ok(near(p.change_rate, 30e6 / 40), "change rate: the last pass's bytes "
     "over its gap");
  ok(near(p.gap_s, 40), "gap: the last one between passes");
  is_int((int)p.bytes, 30000000, "bytes expected: rate * gap");
  ok(near(p.copy_s, 4), "copy: the last pass's pace");
  ok(near(p.conversion_s, 90) && near(p.cutover_s, 94),
     "cutover: copy + the rehearsal's conversion");
  ok(strstr(p.how, "rehearsal") && strstr(p.how, "last gap") &&
     strstr(p.how, "pass 3"), "how says where each figure came from: %s",
     p.how);

  sync_predict(passes, 3, 300, -1, &p);
  ok(near(p.gap_s, 300), "interval_s is the gap when set");
  ok(near(p.copy_s, 30), "the copy scaled to the bytes of that gap");
  ok(near(p.cutover_s, p.copy_s) && strstr(p.how, "unknown"),
     "no rehearsal: the copy only, saying the conversion is unknown");
}

/* Nothing changed since: the cutover pass costs what an empty one did. */
static void quiet_guest(void)
{
  struct pass_fact passes[] = {
    { 0, 100, 1000000000, true },
    { 160, 0.5, 0, false },
  };
  struct prediction p;

  sync_predict(passes, 2, 0, 60, &p);
  ok(p.known && p.bytes == 0 && near(p.copy_s, 0.5) && near(p.cutover_s, 60.5),
     "no change: the last pass's time, plus the conversion");
}

int main(void)
{
  too_few();
  reckoned();
  quiet_guest();
  return tap_done();
}
