/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How a volume id finds its device: virtio serials, by-id names, and
 * which disks the system's mounts and swap put out of bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tap.h"
#include "volumes/volumes.h"

#define ID "3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab"

static void serials(void)
{
  ok(volume_serial_matches("3f1c2d3e-aaaa-4bbb-8", ID),
     "virtio serial: the first 20 characters");
  ok(volume_serial_matches(ID, ID), "a serial holding the whole id");
  ok(!volume_serial_matches("3f1c2d3e-aaaa-4bbb-", ID), "19 characters: no");
  ok(!volume_serial_matches("3f1c2d3e-aaaa-4bbb-9", ID), "another id: no");
  ok(!volume_serial_matches(NULL, ID), "no serial");
  ok(!volume_serial_matches("", ID), "an empty serial");
  ok(!volume_serial_matches("short", "short-but-longer"),
     "a prefix of a short id is not it");
}

static void by_id_names(void)
{
  ok(volume_by_id_name_matches("virtio-3f1c2d3e-aaaa-4bbb-8", ID),
     "virtio-<20>");
  ok(volume_by_id_name_matches("scsi-0QEMU_QEMU_HARDDISK_" ID, ID),
     "scsi-0QEMU_QEMU_HARDDISK_<id>");
  ok(volume_by_id_name_matches(ID, ID), "the id itself");
  ok(!volume_by_id_name_matches("virtio-3f1c2d3e-aaaa-4bbb-8-part1", ID),
     "a partition never");
  ok(!volume_by_id_name_matches("virtio-xx3f1c2d3e-aaaa-4bbb-8", ID),
     "the id inside a longer word: no");
  ok(!volume_by_id_name_matches("virtio-3f1c2d3e-aaaa-4bbb-9", ID),
     "another id: no");
  ok(!volume_by_id_name_matches("wwn-0x5000c500a1b2c3d4", ID),
     "an unrelated name");
}

static void system_disk_list(void)
{
  char mi[] = "/tmp/uch-mountinfo-XXXXXX", sw[] = "/tmp/uch-swaps-XXXXXX";
  int fd1 = mkstemp(mi), fd2 = mkstemp(sw);
  FILE *f1 = fdopen(fd1, "w"), *f2 = fdopen(fd2, "w");
  dev_t *v = NULL;
  size_t n = 0;

  /* 0:x is a virtual file system; 7:250 a device /sys does not know,
   * so taken as a whole disk */
  fputs("22 1 0:21 / /proc rw - proc proc rw\n"
        "30 1 7:250 / /mnt rw - ext4 /dev/loop250 rw\n"
        "31 1 7:250 / /mnt2 rw - ext4 /dev/loop250 rw\n", f1);
  /* a swap partition on a block device there is (loop devices always
   * are here), a swap file that is not */
  struct stat loop;
  bool have_loop = stat("/dev/loop0", &loop) == 0 && S_ISBLK(loop.st_mode);
  fputs("Filename\tType\tSize\tUsed\tPriority\n"
        "/no/such/swapfile file 1024 0 -2\n", f2);
  if (have_loop)
    fputs("/dev/loop0                              partition\t1024\t0\t-3\n",
          f2);
  fclose(f1);
  fclose(f2);
  is_int(system_disks(mi, sw, &v, &n), 0, "system_disks reads both");
  is_int((int)n, have_loop ? 2 : 1, "one disk, once, no virtual file "
         "system%s", have_loop ? ", and the swap's" : "");
  ok(n >= 1 && v[0] == makedev(7, 250), "it is 7:250");
  if (have_loop)
    ok(n == 2 && v[1] == loop.st_rdev, "the swap partition's disk");
  free(v);
  ok(system_disks("/no/such/mountinfo", sw, &v, &n) < 0,
     "no mountinfo: an error, never 'nothing is mounted'");
  unlink(mi);
  unlink(sw);
}

static void listing(void)
{
  struct volume_list l;

  is_int(volumes_list("/no/such/dir", &l), 0,
         "listing works without a by-id directory");
  ok(volume_find(&l, "no-such-volume-id") == NULL, "an unknown id: none");
  for (size_t i = 0; i < l.n; i++)
    ok(l.v[i].size > 0 && l.v[i].path[0] == '/', "%s: %llu bytes",
       l.v[i].path, (unsigned long long)l.v[i].size);
  volume_list_free(&l);
}

int main(void)
{
  serials();
  by_id_names();
  system_disk_list();
  listing();
  return tap_done();
}
