/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <guestfs.h>

#include "convert/inspect-drives.h"
#include "guestfs/handle.h"
#include "guestfs/inspect-guest.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

static int add_drive(guestfs_h *g, json_object *d)
{
  const char *path = json_get_string(d, "path");
  const char *server = json_get_string(d, "server");

  if (path)
    return guestfs_add_drive_opts(g, path,
                                  GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                  GUESTFS_ADD_DRIVE_OPTS_FORMAT,
                                  json_get_string(d, "format"),
                                  -1);
  if (server) {
    const char *servers[] = { server, NULL };
    const char *exp = json_get_string(d, "export");
    return guestfs_add_drive_opts(g, exp ? exp : "",
                                  GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                  GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                                  GUESTFS_ADD_DRIVE_OPTS_PROTOCOL, "nbd",
                                  GUESTFS_ADD_DRIVE_OPTS_SERVER, servers,
                                  -1);
  }
  fprintf(stderr, "inspect: error: a drive with neither path nor server\n");
  return -1;
}

static void add_str(json_object *o, const char *key, char *value)
{
  if (value && *value && strcmp(value, "unknown") != 0)
    json_object_object_add(o, key, json_object_new_string(value));
  else
    json_object_object_add(o, key, NULL);
  free(value);
}

static bool is_esp(guestfs_h *g, const char *part)
{
  _cleanup_free_ char *dev = QUIET(g, guestfs_part_to_dev(g, part));
  _cleanup_free_ char *table = NULL, *gpt_type = NULL;
  int n = QUIET(g, guestfs_part_to_partnum(g, part));

  if (!dev || n < 1 || !(table = QUIET(g, guestfs_part_get_parttype(g, dev))))
    return false;
  if (strcmp(table, "gpt") == 0) {
    gpt_type = QUIET(g, guestfs_part_get_gpt_type(g, dev, n));
    return gpt_type &&
      strcasecmp(gpt_type, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B") == 0;
  }
  return strcmp(table, "msdos") == 0 &&
    QUIET(g, guestfs_part_get_mbr_id(g, dev, n)) == 0xef;
}

/* UEFI when the disks hold an EFI system partition or the guest mounts
 * one at /boot/efi; BIOS otherwise. */
static const char *firmware(guestfs_h *g, char **mountpoints)
{
  _cleanup_strings_ char **parts = QUIET(g, guestfs_list_partitions(g));

  for (size_t i = 0; mountpoints && mountpoints[i]; i += 2)
    if (strcmp(mountpoints[i], "/boot/efi") == 0)
      return "uefi";
  for (size_t i = 0; parts && parts[i]; i++)
    if (is_esp(g, parts[i]))
      return "uefi";
  return "bios";
}

static json_object *kernels(guestfs_h *g)
{
  json_object *list = json_object_new_array();
  _cleanup_strings_ char **names = NULL;

  if (QUIET(g, guestfs_is_dir(g, "/boot")) != 1 ||
      !(names = QUIET(g, guestfs_ls(g, "/boot"))))
    return list;
  for (size_t i = 0; names[i]; i++)
    if (strncmp(names[i], "vmlinuz-", 8) == 0)
      json_object_array_add(list, json_object_new_string(names[i]));
  return list;
}

static const char *bootloader(guestfs_h *g)
{
  static const struct { const char *path, *name; } files[] = {
    { "/boot/grub2/grub.cfg", "grub2" },
    { "/boot/grub/grub.cfg", "grub2" },
    { "/boot/grub/menu.lst", "grub-legacy" },
    { "/boot/grub/grub.conf", "grub-legacy" },
    { "/boot/extlinux/extlinux.conf", "extlinux" },
    { "/boot/syslinux/syslinux.cfg", "extlinux" },
    { "/boot/loader/loader.conf", "systemd-boot" },
    { "/boot/efi/loader/loader.conf", "systemd-boot" },
  };
  _cleanup_strings_ char **efi = NULL;

  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (QUIET(g, guestfs_is_file(g, files[i].path)) == 1)
      return files[i].name;
  efi = QUIET(g, guestfs_glob_expand(g, "/boot/efi/EFI/*/grub.cfg"));
  if (efi && efi[0])
    return "grub2";
  return NULL;
}

static json_object *os_facts(guestfs_h *g, const char *root,
                             json_object *mounted)
{
  json_object *os = json_object_new_object();
  _cleanup_strings_ char **mps = guestfs_inspect_get_mountpoints(g, root);
  _cleanup_free_ char *type = guestfs_inspect_get_type(g, root);
  const char *loader;

  json_object_object_add(os, "root", json_object_new_string(root));
  json_object_object_add(os, "type",
                         json_object_new_string(type ? type : "unknown"));
  add_str(os, "distro", guestfs_inspect_get_distro(g, root));
  add_str(os, "product_name", guestfs_inspect_get_product_name(g, root));
  json_object_object_add(os, "major_version", json_object_new_int(
                           guestfs_inspect_get_major_version(g, root)));
  json_object_object_add(os, "minor_version", json_object_new_int(
                           guestfs_inspect_get_minor_version(g, root)));
  add_str(os, "arch", guestfs_inspect_get_arch(g, root));
  add_str(os, "hostname", guestfs_inspect_get_hostname(g, root));
  json_object_object_add(os, "firmware",
                         json_object_new_string(firmware(g, mps)));
  gfs_mount_root(g, mps, true);
  for (size_t i = 0; mps && mps[i]; i += 2)
    json_object_object_add(mounted, mps[i + 1],
                           json_object_new_string(mps[i]));
  if (type && strcmp(type, "linux") == 0) {
    json_object_object_add(os, "kernels", kernels(g));
    loader = bootloader(g);
    json_object_object_add(os, "bootloader",
                           loader ? json_object_new_string(loader) : NULL);
  }
  QUIET(g, guestfs_umount_all(g));
  return os;
}

static bool fs_skipped(const char *type)
{
  static const char *const skip[] = { "swap", "unknown", "crypto_LUKS",
                                      "LVM2_member", "linux_raid_member",
                                      NULL };
  for (int i = 0; skip[i]; i++)
    if (strcmp(type, skip[i]) == 0)
      return true;
  return false;
}

/* ntfs-3g reads this much of hiberfil.sys (NTFS_HIBERFILE_HEADER_SIZE). */
#define HIBERFILE_HEADER_SIZE 4096

/* Whether the NTFS filesystem mounted at / holds a hiberfil.sys that
 * says Windows is hibernated (or shut down with Fast Startup), judged
 * as ntfs-3g's ntfs_volume_check_hiberfile() does before it refuses a
 * read-write mount: a file shorter than its header, or one starting
 * with "hibr" or "HIBR".  virt-v2v, which must write the guest, then
 * fails.  -1 when it cannot be told. */
static int ntfs_hibernated(guestfs_h *g)
{
  _cleanup_free_ char *path = QUIET(g, guestfs_case_sensitive_path(
                                        g, "/hiberfil.sys"));
  _cleanup_free_ char *head = NULL;
  size_t got = 0;

  if (!path || QUIET(g, guestfs_is_file(g, path)) != 1)
    return 0;
  head = QUIET(g, guestfs_pread(g, path, HIBERFILE_HEADER_SIZE, 0, &got));
  if (!head)
    return -1;
  return got < HIBERFILE_HEADER_SIZE || memcmp(head, "hibr", 4) == 0 ||
    memcmp(head, "HIBR", 4) == 0;
}

/* An XFS filesystem's version (4 or 5) from its superblock: the magic
 * "XFSB", then sb_versionnum (big-endian, the low four bits) at byte
 * 100.  Version 4 is the one made without CRCs (mkfs.xfs -m crc=0, RHEL
 * 6 and early RHEL 7).  -1 when it cannot be told. */
static int xfs_version(guestfs_h *g, const char *dev)
{
  size_t got = 0;
  _cleanup_free_ char *sb = QUIET(g, guestfs_pread_device(g, dev, 102, 0,
                                                          &got));

  if (!sb || got != 102 || memcmp(sb, "XFSB", 4) != 0)
    return -1;
  return (unsigned char)sb[101] & 0x0f;
}

/* Each filesystem mounted alone, read-only, for its size and free space. */
static json_object *filesystems(guestfs_h *g, char **fses,
                                json_object *mounted)
{
  json_object *list = json_object_new_array();

  for (size_t i = 0; fses && fses[i] && fses[i + 1]; i += 2) {
    const char *dev = fses[i], *type = fses[i + 1];
    json_object *fs, *mp = json_get(mounted, dev);
    struct guestfs_statvfs *st;

    if (fs_skipped(type))
      continue;
    fs = json_object_new_object();
    json_object_object_add(fs, "device", json_object_new_string(dev));
    json_object_object_add(fs, "type", json_object_new_string(type));
    if (mp)
      json_object_object_add(fs, "mountpoint", json_object_get(mp));
    if (strcmp(type, "xfs") == 0) {
      int v = xfs_version(g, dev);
      json_object_object_add(fs, "xfs_version",
                             v > 0 ? json_object_new_int(v) : NULL);
    }
    if (QUIET(g, guestfs_mount_ro(g, dev, "/")) == 0 &&
        (st = QUIET(g, guestfs_statvfs(g, "/")))) {
      json_object_object_add(fs, "size", json_object_new_int64(
                               st->blocks * st->frsize));
      json_object_object_add(fs, "free", json_object_new_int64(
                               st->bavail * st->frsize));
      guestfs_free_statvfs(st);
      if (strcmp(type, "ntfs") == 0) {
        int h = ntfs_hibernated(g);
        json_object_object_add(fs, "hibernated",
                               h >= 0 ? json_object_new_boolean(h) : NULL);
      }
    } else {
      int64_t size = QUIET(g, guestfs_blockdev_getsize64(g, dev));
      if (size >= 0)
        json_object_object_add(fs, "size", json_object_new_int64(size));
    }
    QUIET(g, guestfs_umount_all(g));
    json_object_array_add(list, fs);
  }
  return list;
}

static void add_luks(guestfs_h *g, char **devs, json_object *encrypted)
{
  for (size_t i = 0; devs && devs[i]; i++) {
    _cleanup_free_ char *type = QUIET(g, guestfs_vfs_type(g, devs[i]));
    if (type && strcmp(type, "crypto_LUKS") == 0)
      json_object_array_add(encrypted, json_object_new_string(devs[i]));
  }
}

/* Whole disks and partitions with a LUKS header (list_filesystems does
 * not list them). */
static void luks_devices(guestfs_h *g, json_object *encrypted)
{
  _cleanup_strings_ char **devs = QUIET(g, guestfs_list_devices(g));
  _cleanup_strings_ char **parts = QUIET(g, guestfs_list_partitions(g));

  add_luks(g, devs, encrypted);
  add_luks(g, parts, encrypted);
}

static json_object *inspect(guestfs_h *g)
{
  json_object *facts = json_object_new_object();
  json_object *roots_o = json_object_new_array();
  json_object *encrypted = json_object_new_array();
  _cleanup_json_ json_object *mounted = json_object_new_object();
  _cleanup_strings_ char **fses = guestfs_list_filesystems(g);
  _cleanup_strings_ char **roots = guestfs_inspect_os(g);
  json_object *os = NULL;

  json_object_object_add(facts, "roots", roots_o);
  json_object_object_add(facts, "encrypted", encrypted);
  luks_devices(g, encrypted);
  for (size_t i = 0; roots && roots[i]; i++)
    json_object_array_add(roots_o, json_object_new_string(roots[i]));
  /* virt-v2v converts one root; more need its --root option. */
  if (roots && roots[0])
    os = os_facts(g, roots[0], mounted);
  json_object_object_add(facts, "os", os);
  json_object_object_add(facts, "filesystems",
                         filesystems(g, fses, mounted));
  if (!fses || !roots) {
    json_object_put(facts);
    return NULL;
  }
  return facts;
}

int inspect_guest_main(const char *rt_dir)
{
  _cleanup_gfs_ guestfs_h *g = NULL;
  _cleanup_free_ char *in = NULL, *out = NULL;
  _cleanup_json_ json_object *req = NULL, *facts = NULL;
  json_object *drives;
  size_t n;

  setvbuf(stdout, NULL, _IOLBF, 0);
  if (asprintf(&in, "%s/%s", rt_dir, INSPECT_DRIVES_FILE) < 0 ||
      asprintf(&out, "%s/%s", rt_dir, INSPECT_FACTS_FILE) < 0)
    return 1;
  req = json_read_path(in);
  drives = json_get(req, "drives");
  if (!drives || !json_object_is_type(drives, json_type_array)) {
    fprintf(stderr, "inspect: error: %s: no drives\n", in);
    return 1;
  }
  if (!(g = gfs_open()))
    return 1;
  n = json_object_array_length(drives);
  for (size_t i = 0; i < n; i++)
    if (add_drive(g, json_object_array_get_idx(drives, i)) < 0)
      return 1;
  gfs_phase("launching");
  if (guestfs_launch(g) < 0)
    return 1;
  gfs_phase("inspecting");
  facts = inspect(g);
  if (!facts || json_write_path(out, facts, 0600) < 0) {
    if (facts)
      fprintf(stderr, "inspect: error: %s: %m\n", out);
    return 1;
  }
  if (guestfs_shutdown(g) < 0)
    return 1;
  return 0;
}
