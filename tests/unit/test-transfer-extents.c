/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bytes_done is the data below nbdcopy's position: holes count for
 * nothing, so 100% of the data is bytes_total. */
#include "transfer/extents.h"
#include "tap.h"

#define MiB (1024ULL * 1024)

int main(void)
{
  struct extents e = { 0 };

  e.size = 100 * MiB;
  extents_add(&e, 0, 10 * MiB, true);
  extents_add(&e, 10 * MiB, 40 * MiB, false);
  extents_add(&e, 50 * MiB, 5 * MiB, true);
  extents_add(&e, 55 * MiB, 5 * MiB, true);       /* merges */
  extents_add(&e, 60 * MiB, 40 * MiB, false);
  is_int(e.n, 4, "adjacent data extents merged");
  is_int(e.allocated, 20 * MiB, "allocated = data only");
  is_int(extents_data_below(&e, 0), 0, "nothing below 0");
  is_int(extents_data_below(&e, 5 * MiB), 5 * MiB, "inside the first extent");
  is_int(extents_data_below(&e, 30 * MiB), 10 * MiB, "inside a hole");
  is_int(extents_data_below(&e, 52 * MiB), 12 * MiB, "inside the second");
  is_int(extents_done_at_percent(&e, 0), 0, "0%%");
  is_int(extents_done_at_percent(&e, 10), 10 * MiB, "10%% = first extent");
  is_int(extents_done_at_percent(&e, 50), 10 * MiB, "50%%: the hole adds nothing");
  is_int(extents_done_at_percent(&e, 55), 15 * MiB, "55%%");
  is_int(extents_done_at_percent(&e, 99), 20 * MiB, "99%%: all data");
  is_int(extents_done_at_percent(&e, 100), 20 * MiB, "100%% = bytes_total");
  extents_free(&e);

  e.size = 1ULL << 62;   /* no overflow on huge disks */
  extents_add(&e, 0, 1ULL << 62, true);
  is_int(extents_done_at_percent(&e, 50), 1ULL << 61, "huge disk, 50%%");
  extents_free(&e);
  return tap_done();
}
