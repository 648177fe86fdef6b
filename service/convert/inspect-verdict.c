/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert/inspect-verdict.h"
#include "util/jsonutil.h"

bool inspect_linux_distro_supported(const char *distro)
{
  /* The families virt-v2v's Linux conversion knows: Red Hat, SUSE and
   * Debian alike (it edits their package managers and initramfs tools). */
  static const char *const known[] = {
    "rhel", "centos", "fedora", "rocky", "almalinux", "oraclelinux",
    "scientificlinux", "redhat-based", "circle", "sles", "suse-based",
    "opensuse", "debian", "ubuntu", "linuxmint", "kalilinux", "altlinux",
    NULL };
  for (int i = 0; distro && known[i]; i++)
    if (strcmp(distro, known[i]) == 0)
      return true;
  return false;
}

static void reason(json_object *reasons, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
static void reason(json_object *reasons, const char *fmt, ...)
{
  char buf[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  json_object_array_add(reasons, json_object_new_string(buf));
}

static json_object *fs_mounted_at(json_object *facts, const char *mp)
{
  json_object *list = json_get(facts, "filesystems");
  size_t n = list ? json_object_array_length(list) : 0;

  for (size_t i = 0; i < n; i++) {
    json_object *fs = json_object_array_get_idx(list, i);
    const char *m = json_get_string(fs, "mountpoint");
    if (m && strcmp(m, mp) == 0)
      return fs;
  }
  return NULL;
}

/* A filesystem with less than `min` free (when its free space is known). */
static void check_free(json_object *facts, json_object *reasons,
                       const char *mp, unsigned long long min)
{
  json_object *fs = fs_mounted_at(facts, mp), *free_o = json_get(fs, "free");
  unsigned long long left;

  if (!free_o)
    return;
  left = (unsigned long long)json_object_get_int64(free_o);
  if (left < min)
    reason(reasons, "only %llu MiB free on %s (%s): virt-v2v needs at "
           "least %llu MiB there", left >> 20, mp,
           json_get_string(fs, "device") ? json_get_string(fs, "device") : "?",
           min >> 20);
}

static void check_encrypted(json_object *facts, json_object *reasons)
{
  json_object *enc = json_get(facts, "encrypted");
  size_t n = enc ? json_object_array_length(enc) : 0;
  char list[256] = "";

  if (n == 0)
    return;
  for (size_t i = 0; i < n; i++) {
    const char *dev = json_object_get_string(json_object_array_get_idx(enc, i));
    size_t len = strlen(list);
    snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", dev);
  }
  reason(reasons, "encrypted (LUKS) %s %s and no key was given: the "
         "guest's filesystems on %s cannot be read or converted",
         n > 1 ? "devices" : "device", list, n > 1 ? "them" : "it");
}

/* Windows hibernated, or shut down with Fast Startup: its system
 * volume's hiberfil.sys holds a hibernation image, ntfs-3g mounts the
 * volume read-only only, and a conversion (which writes drivers and the
 * registry) cannot run; booting the guest on from the converted disk
 * would lose the hibernated state anyway. */
static void check_hibernated(json_object *facts, json_object *reasons)
{
  json_object *list = json_get(facts, "filesystems");
  size_t n = list ? json_object_array_length(list) : 0;

  for (size_t i = 0; i < n; i++) {
    json_object *fs = json_object_array_get_idx(list, i);
    json_object *h = json_get(fs, "hibernated");
    if (!h || !json_object_get_boolean(h))
      continue;
    reason(reasons, "Windows is hibernated (or was shut down with Fast "
           "Startup) on %s: its hiberfil.sys holds a hibernation image, "
           "so ntfs-3g refuses to mount the filesystem read-write and "
           "virt-v2v cannot convert it; start the guest and shut it down "
           "fully (Fast Startup off, or powercfg /h off)",
           json_get_string(fs, "device") ? json_get_string(fs, "device") : "?");
  }
}

/* XFS v4 (no CRCs: mkfs.xfs -m crc=0, RHEL 6 and early RHEL 7) on a
 * filesystem the guest mounts.  virt-v2v mounts the guest's filesystems
 * with the conversion host's kernel, and EL9 and later kernels are
 * built without CONFIG_XFS_SUPPORT_V4: UCH's CentOS Stream 10 appliance
 * cannot mount it, so the guest is judged by that appliance's kernel
 * whatever kernel this inspection ran on (Debian's still mounts v4). */
static void check_xfs_v4(json_object *facts, json_object *os,
                         json_object *reasons)
{
  json_object *list = json_get(facts, "filesystems");
  size_t n = list ? json_object_array_length(list) : 0;
  const char *product = json_get_string(os, "product_name");

  for (size_t i = 0; i < n; i++) {
    json_object *fs = json_object_array_get_idx(list, i);
    json_object *v = json_get(fs, "xfs_version");
    const char *mp = json_get_string(fs, "mountpoint");
    const char *dev = json_get_string(fs, "device");
    if (!v || json_object_get_int(v) != 4 || !mp)
      continue;
    reason(reasons, "XFS v4 filesystem (made without CRCs, mkfs.xfs -m "
           "crc=0) on %s, mounted at %s by the guest%s%s%s: kernels "
           "without XFS v4 support (EL9 and later, UCH's CentOS Stream 10 "
           "appliance among them) cannot mount it, so virt-v2v cannot "
           "convert the guest; move its data to an XFS v5 filesystem "
           "(mkfs.xfs -m crc=1) first", dev ? dev : "?", mp,
           product ? " (" : "", product ? product : "", product ? ")" : "");
  }
}

static void check_linux(json_object *facts, json_object *os,
                        json_object *reasons)
{
  const char *distro = json_get_string(os, "distro");
  json_object *kernels = json_get(os, "kernels");

  if (!inspect_linux_distro_supported(distro))
    reason(reasons, "Linux distribution \"%s\" is not one virt-v2v "
           "converts (Red Hat, SUSE and Debian families)",
           distro ? distro : "unknown");
  if (!kernels || json_object_array_length(kernels) == 0)
    reason(reasons, "no kernel found in /boot (vmlinuz-*): nothing to "
           "boot or to build an initramfs for");
  if (!json_get_string(os, "bootloader"))
    reason(reasons, "no bootloader found (no grub, grub2, extlinux or "
           "systemd-boot configuration under /boot)");
  check_free(facts, reasons, "/boot", INSPECT_MIN_BOOT_FREE);
  check_xfs_v4(facts, os, reasons);
}

bool inspect_verdict(json_object *facts, json_object *reasons)
{
  json_object *os = json_get(facts, "os");
  size_t before = json_object_array_length(reasons);
  const char *type = json_get_string(os, "type");

  check_encrypted(facts, reasons);
  check_hibernated(facts, reasons);
  if (!os || !type) {
    reason(reasons, "no operating system found on the disks (libguestfs "
           "inspection found no root filesystem)");
    return false;
  }
  if (strcmp(type, "linux") == 0)
    check_linux(facts, os, reasons);
  else if (strcmp(type, "windows") != 0)
    reason(reasons, "operating system type \"%s\" is not supported: "
           "virt-v2v converts Linux and Windows guests", type);
  check_free(facts, reasons, "/", INSPECT_MIN_ROOT_FREE);
  return json_object_array_length(reasons) == before;
}
