/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte sizes, percentages, tables and progress bars, exactly. */
#include <stdint.h>

#include "ctl/ctl_format.h"
#include "tap.h"

static const char *bytes(uint64_t n)
{
  static char buf[32];
  format_bytes(n, buf, sizeof buf);
  return buf;
}

static const char *bar(int width, const char *label, double pct,
                       uint64_t done, uint64_t total)
{
  static char buf[512];
  progress_bar_render(buf, sizeof buf, width, label, pct, done, total);
  return buf;
}

int main(void)
{
  char buf[64];

  is_str(bytes(0), "0 B", "zero");
  is_str(bytes(1023), "1023 B", "below a KiB");
  is_str(bytes(1024), "1.0 KiB", "one KiB");
  is_str(bytes(1536), "1.5 KiB", "one and a half KiB");
  is_str(bytes(1048575), "1.0 MiB", "rounds up into the next unit");
  is_str(bytes(3ULL << 30), "3.0 GiB", "3 GiB");
  is_str(bytes(1288490189), "1.2 GiB", "1.2 GiB");
  is_str(bytes(5ULL << 40), "5.0 TiB", "5 TiB");
  is_str(bytes(UINT64_MAX), "16.0 EiB", "the largest");

  format_percent(42.5, buf, sizeof buf);
  is_str(buf, "42.5%", "percent");
  format_percent(-3, buf, sizeof buf);
  is_str(buf, "0.0%", "negative percent is 0");
  format_percent(250, buf, sizeof buf);
  is_str(buf, "100.0%", "over 100 is 100");

  format_time_short("2026-11-25T04:13:00.123Z", buf, sizeof buf);
  is_str(buf, "2026-11-25 04:13:00", "RFC 3339 shortened");
  format_time_short(NULL, buf, sizeof buf);
  is_str(buf, "-", "no time");
  format_time_short("yesterday", buf, sizeof buf);
  is_str(buf, "yesterday", "anything else as is");

  is_str(bar(60, "job1", 50, 512 << 20, 1ULL << 30),
         "job1 [###########-----------]  50.0%  512.0 MiB /   1.0 GiB",
         "half done at 60 columns");
  is_int(strlen(bar(60, "job1", 50, 512 << 20, 1ULL << 30)), 59,
         "fills width - 1 columns");
  is_str(bar(50, "job1", 0, 0, 0),
         "job1 [------------]   0.0%        0 B /       0 B", "nothing yet");
  is_str(bar(50, "job1", 100, 1024, 1024),
         "job1 [############] 100.0%    1.0 KiB /   1.0 KiB", "all done");
  is_str(bar(35, "job1", 42.5, 1024, 4096),
         "job1  42.5%    1.0 KiB /   4.0 KiB", "no bar when too narrow");
  is_str(bar(34, "job1", 42.5, 1024, 4096), "job1  42.5%    1.0 KiB /   4.0 Ki",
         "one column less: cut");
  is_str(bar(12, "job1", 42.5, 1024, 4096), "job1  42.5%",
         "cut at width - 1");
  is_int(strlen(bar(300, "j", 10, 1, 10)), 1 + 4 + 60 + 29,
         "bar at most 60 wide");

  {
    static char b[512];
    progress_bar_render_rate(b, sizeof b, 100, "job1", 50, 512 << 20,
                             1ULL << 30, "10.0 MiB/s  ETA 0:51");
    is_str(b, "job1 [####################--------------------]  50.0%  512.0 MiB /   "
           "1.0 GiB  10.0 MiB/s  ETA 0:51", "a bar with rate and ETA");
    progress_bar_render_rate(b, sizeof b, 60, "job1", 50, 512 << 20,
                             1ULL << 30, "10.0 MiB/s  ETA 0:51");
    is_str(b, "job1  50.0%  512.0 MiB /   1.0 GiB  10.0 MiB/s  ETA 0:51",
           "narrow: the bar goes first");
  }

  format_rate_eta(-1, 100, buf, sizeof buf);
  is_str(buf, "-", "no rate yet");
  format_rate_eta(10 << 20, 0, buf, sizeof buf);
  is_str(buf, "10.0 MiB/s", "nothing left: no ETA");
  format_rate_eta(10 << 20, 42ULL << 20, buf, sizeof buf);
  is_str(buf, "10.0 MiB/s  ETA 0:04", "ETA in minutes:seconds");
  format_rate_eta(1 << 20, 3725ULL << 20, buf, sizeof buf);
  is_str(buf, "1.0 MiB/s  ETA 1:02:05", "ETA in hours");
  format_rate_eta(0, 100, buf, sizeof buf);
  is_str(buf, "0 B/s", "stalled: no ETA");
  format_rate_eta(1, 1ULL << 40, buf, sizeof buf);
  is_str(buf, "1 B/s  ETA >99h", "a far ETA");

  {
    struct rate_est e = { 0 };
    ok(rate_get(&e) < 0, "no samples: no rate");
    rate_sample(&e, 100.0, 0);
    rate_sample(&e, 100.5, 5 << 20);
    ok(rate_get(&e) < 0, "under a second of samples: no rate");
    rate_sample(&e, 102.0, 20 << 20);
    ok(rate_get(&e) == 10 << 20, "20 MiB in 2 s: 10 MiB/s");
    for (int i = 1; i <= 40; i++)   /* 1 MiB/s for 20 s */
      rate_sample(&e, 102.0 + i * 0.5, (20 << 20) + (uint64_t)i * (512 << 10));
    ok(rate_get(&e) == 1 << 20, "only the last 8 s count: 1 MiB/s");
    rate_sample(&e, 123.0, 1 << 20);
    ok(rate_get(&e) < 0, "a counter that went back starts again");
    rate_sample(&e, 125.0, 5 << 20);
    ok(rate_get(&e) == 2 << 20, "and measures from there");
    for (int i = 0; i < 200; i++)  /* more samples than the ring holds */
      rate_sample(&e, 125.0 + i * 0.25, (5 << 20) + (uint64_t)i * 1000);
    ok(rate_get(&e) > 0, "a full ring still measures");
  }

  struct table t;
  const char *const headers[] = { "ID", "STATE", "PROGRESS" };
  const char *const r1[] = { "abc", "running", "42.5%" };
  const char *const r2[] = { "longer-id", NULL, "0.0%" };
  ok(table_init(&t, headers, 3) == 0, "table_init");
  ok(table_add_row(&t, r1) == 0 && table_add_row(&t, r2) == 0, "rows added");
  char *s = table_render(&t);
  is_str(s,
         "ID         STATE    PROGRESS\n"
         "abc        running  42.5%\n"
         "longer-id  -        0.0%\n",
         "columns padded to the widest cell, NULL as '-'");
  free(s);
  table_free(&t);

  ok(table_init(&t, headers, 3) == 0, "empty table");
  s = table_render(&t);
  is_str(s, "ID  STATE  PROGRESS\n", "just the header");
  free(s);
  table_free(&t);
  return tap_done();
}
