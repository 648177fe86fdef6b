/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rehearsal's snapshot of a sync job's destinations
 * (sync/snapshot.c): qemu-storage-daemon's command line, as a person
 * would type it, for one file and for a file and a block device. */
#include <stdlib.h>

#include "sync/snapshot.h"
#include "tap.h"

static char *joined;

static const char *done(struct argv *a, int r)
{
  free(joined);
  joined = r < 0 ? NULL : argv_join(a);
  argv_free(a);
  return joined ? joined : "(failed)";
}

#define FILE_NODES(I, PATH, DRIVER, TARGET) \
  "--blockdev '{\"driver\":\"" DRIVER "\",\"node-name\":\"d" I "\"," \
  "\"filename\":\"" PATH "\",\"discard\":\"unmap\"}' " \
  "--blockdev '{\"driver\":\"file\",\"node-name\":\"t" I "\"," \
  "\"filename\":\"" TARGET "\"}' " \
  "--blockdev '{\"driver\":\"copy-before-write\",\"node-name\":\"c" I "\"," \
  "\"file\":\"d" I "\",\"target\":\"t" I "\"}' " \
  "--blockdev '{\"driver\":\"snapshot-access\",\"node-name\":\"s" I "\"," \
  "\"file\":\"c" I "\"}' "
#define EXPORTS(I) \
  "--export '{\"type\":\"nbd\",\"id\":\"w" I "\",\"node-name\":\"c" I "\"," \
  "\"name\":\"w" I "\",\"writable\":true}' " \
  "--export '{\"type\":\"nbd\",\"id\":\"s" I "\",\"node-name\":\"s" I "\"," \
  "\"name\":\"s" I "\",\"writable\":false}' "
#define SERVER \
  "--nbd-server '{\"addr\":{\"type\":\"unix\",\"path\":\"/run/j/snapshot.sock\"}}' "

static void test_argv(void)
{
  struct argv a = { 0 };
  const char *one[] = { "/d/web, 1.img" }, *t1[] = { "/s/snapshot-0.raw" };
  const char *two[] = { "/d/a.img", "/dev/vdb" };
  const char *t2[] = { "/s/snapshot-0.raw", "/s/snapshot-1.raw" };
  bool file[] = { false }, mixed[] = { false, true };

  is_str(done(&a, snapshot_argv(&a, "qemu-storage-daemon", 1, one, file, t1,
                                "/run/j/snapshot.sock", "/run/j/snapshot.pid")),
         "qemu-storage-daemon "
         FILE_NODES("0", "/d/web, 1.img", "file", "/s/snapshot-0.raw")
         SERVER EXPORTS("0") "--pidfile /run/j/snapshot.pid",
         "one file (a comma in its path needs no escaping in JSON)");
  is_str(done(&a, snapshot_argv(&a, "qemu-storage-daemon", 2, two, mixed, t2,
                                "/run/j/snapshot.sock", "/run/j/snapshot.pid")),
         "qemu-storage-daemon "
         FILE_NODES("0", "/d/a.img", "file", "/s/snapshot-0.raw")
         FILE_NODES("1", "/dev/vdb", "host_device", "/s/snapshot-1.raw")
         SERVER EXPORTS("0") EXPORTS("1") "--pidfile /run/j/snapshot.pid",
         "a file and a block device: every node, then the server, then "
         "the exports on it");
}

int main(void)
{
  test_argv();
  free(joined);
  return tap_done();
}
