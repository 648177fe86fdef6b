/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inspect job's pure parts: the verdict over inspection facts, the
 * NBD URI as libguestfs's server and export, the helper's command line,
 * image formats by magic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/inspect-drives.h"
#include "convert/inspect-verdict.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "tap.h"

static char reasons_text[2048];

/* The verdict over FACTS (JSON); reasons joined by " | ". */
static int verdict(const char *facts_json)
{
  _cleanup_json_ json_object *facts = json_tokener_parse(facts_json);
  _cleanup_json_ json_object *reasons = json_object_new_array();
  bool ok;

  reasons_text[0] = '\0';
  if (!facts)
    return -1;
  ok = inspect_verdict(facts, reasons);
  for (size_t i = 0; i < json_object_array_length(reasons); i++) {
    size_t len = strlen(reasons_text);
    snprintf(reasons_text + len, sizeof reasons_text - len, "%s%s",
             i ? " | " : "",
             json_object_get_string(json_object_array_get_idx(reasons, i)));
  }
  return ok;
}

#define ROOTFS(free) \
  "\"filesystems\":[{\"device\":\"/dev/sda1\",\"type\":\"ext4\"," \
  "\"mountpoint\":\"/\",\"size\":2000000000,\"free\":" #free "}]"
#define DEBIAN(extra) \
  "{\"os\":{\"type\":\"linux\",\"distro\":\"debian\",\"major_version\":12," \
  "\"kernels\":[\"vmlinuz-6.1.0-28-amd64\"],\"bootloader\":\"grub2\"" extra "},"

static void test_verdict(void)
{
  is_int(verdict(DEBIAN("") ROOTFS(1500000000) ",\"encrypted\":[]}"), 1,
         "Debian 12 with kernel, grub and space: convertible");
  is_str(reasons_text, "", "  no reasons");

  is_int(verdict("{\"os\":null,\"filesystems\":[],\"encrypted\":[]}"), 0,
         "blank disk: not convertible");
  ok(strstr(reasons_text, "no operating system found"), "  says no OS: %s",
     reasons_text);

  is_int(verdict("{\"os\":null,\"filesystems\":[{\"device\":\"/dev/sda\","
                 "\"type\":\"ext4\",\"free\":90000000}],\"encrypted\":[]}"), 0,
         "a filesystem without an OS: not convertible");
  ok(strstr(reasons_text, "no operating system found"), "  says no OS");

  is_int(verdict(DEBIAN("") ROOTFS(52428800) ",\"encrypted\":[]}"), 0,
         "50 MiB free on /: not convertible");
  ok(strstr(reasons_text, "only 50 MiB free on / (/dev/sda1)"),
     "  names the space and device: %s", reasons_text);

  is_int(verdict(DEBIAN("") ROOTFS(104857600) ",\"encrypted\":[]}"), 1,
         "exactly 100 MiB free is enough");

  is_int(verdict(DEBIAN("") ROOTFS(1500000000)
                 ",\"encrypted\":[\"/dev/sda2\"]}"), 0,
         "a LUKS device and no key: not convertible");
  ok(strstr(reasons_text, "encrypted (LUKS) device /dev/sda2 and no key"),
     "  names the device: %s", reasons_text);

  is_int(verdict("{\"os\":null,\"filesystems\":[],"
                 "\"encrypted\":[\"/dev/sda2\",\"/dev/sdb1\"]}"), 0,
         "only encrypted devices");
  ok(strstr(reasons_text, "devices /dev/sda2, /dev/sdb1") &&
     strstr(reasons_text, "no operating system found"),
     "  both reasons: %s", reasons_text);

  is_int(verdict("{\"os\":{\"type\":\"linux\",\"distro\":\"debian\","
                 "\"kernels\":[],\"bootloader\":null}," ROOTFS(1500000000)
                 ",\"encrypted\":[]}"), 0,
         "no kernel, no bootloader: not convertible");
  ok(strstr(reasons_text, "no kernel found in /boot") &&
     strstr(reasons_text, "no bootloader found"), "  both named: %s",
     reasons_text);

  is_int(verdict("{\"os\":{\"type\":\"linux\",\"distro\":\"gentoo\","
                 "\"kernels\":[\"vmlinuz-6\"],\"bootloader\":\"grub2\"},"
                 ROOTFS(1500000000) ",\"encrypted\":[]}"), 0,
         "an unsupported distribution");
  ok(strstr(reasons_text, "\"gentoo\" is not one virt-v2v converts"),
     "  names it: %s", reasons_text);

  is_int(verdict("{\"os\":{\"type\":\"freebsd\",\"distro\":\"freebsd\"},"
                 ROOTFS(1500000000) ",\"encrypted\":[]}"), 0,
         "an unsupported OS type");
  ok(strstr(reasons_text, "type \"freebsd\" is not supported"), "  names it: %s",
     reasons_text);

  is_int(verdict("{\"os\":{\"type\":\"windows\",\"distro\":\"windows\","
                 "\"major_version\":10}," ROOTFS(1500000000)
                 ",\"encrypted\":[]}"), 1,
         "Windows: convertible (no kernel or grub asked for)");

  is_int(verdict(DEBIAN("") "\"filesystems\":[{\"device\":\"/dev/sda2\","
                 "\"type\":\"ext4\",\"mountpoint\":\"/\",\"free\":900000000},"
                 "{\"device\":\"/dev/sda1\",\"type\":\"ext2\","
                 "\"mountpoint\":\"/boot\",\"free\":10000000}],"
                 "\"encrypted\":[]}"), 0,
         "a full separate /boot");
  ok(strstr(reasons_text, "only 9 MiB free on /boot (/dev/sda1)"),
     "  names /boot: %s", reasons_text);

  is_int(verdict(DEBIAN("") "\"filesystems\":[{\"device\":\"/dev/sda1\","
                 "\"type\":\"ext4\",\"mountpoint\":\"/\"}],"
                 "\"encrypted\":[]}"), 1,
         "free space unknown (not mountable): not held against it");

  is_int(verdict("{\"os\":{\"type\":\"windows\",\"distro\":\"windows\","
                 "\"major_version\":10},\"filesystems\":[{\"device\":"
                 "\"/dev/sda2\",\"type\":\"ntfs\",\"mountpoint\":\"/\","
                 "\"free\":1500000000,\"hibernated\":true}],"
                 "\"encrypted\":[]}"), 0,
         "Windows hibernated: not convertible");
  ok(strstr(reasons_text, "Windows is hibernated (or was shut down with "
            "Fast Startup) on /dev/sda2") &&
     strstr(reasons_text, "ntfs-3g refuses to mount the filesystem "
            "read-write"), "  names the volume and why: %s", reasons_text);
  is_int(verdict("{\"os\":{\"type\":\"windows\",\"distro\":\"windows\","
                 "\"major_version\":10},\"filesystems\":[{\"device\":"
                 "\"/dev/sda2\",\"type\":\"ntfs\",\"mountpoint\":\"/\","
                 "\"free\":1500000000,\"hibernated\":false},{\"device\":"
                 "\"/dev/sdb1\",\"type\":\"ntfs\",\"hibernated\":null}],"
                 "\"encrypted\":[]}"), 1,
         "hiberfil.sys without a hibernation header, or unreadable: "
         "convertible");

#define RHEL7(fs) \
  "{\"os\":{\"type\":\"linux\",\"distro\":\"rhel\",\"major_version\":7," \
  "\"product_name\":\"Red Hat Enterprise Linux Server release 7.9 " \
  "(Maipo)\",\"kernels\":[\"vmlinuz-3.10.0-1160.el7.x86_64\"]," \
  "\"bootloader\":\"grub2\"},\"filesystems\":[" fs "],\"encrypted\":[]}"
  is_int(verdict(RHEL7("{\"device\":\"/dev/sda1\",\"type\":\"xfs\","
                       "\"mountpoint\":\"/\",\"free\":900000000,"
                       "\"xfs_version\":4}")), 0,
         "RHEL 7 with / on XFS v4: not convertible");
  ok(strstr(reasons_text, "XFS v4 filesystem (made without CRCs, mkfs.xfs "
            "-m crc=0) on /dev/sda1, mounted at / by the guest (Red Hat "
            "Enterprise Linux Server release 7.9 (Maipo))") &&
     strstr(reasons_text, "cannot mount it"),
     "  names the filesystem, the guest and why: %s", reasons_text);
  is_int(verdict(RHEL7("{\"device\":\"/dev/sda1\",\"type\":\"xfs\","
                       "\"mountpoint\":\"/\",\"free\":900000000,"
                       "\"xfs_version\":5},{\"device\":\"/dev/sdb1\","
                       "\"type\":\"xfs\",\"xfs_version\":4}")), 1,
         "XFS v5 root, XFS v4 the guest does not mount: convertible");
  is_int(verdict("{\"os\":{\"type\":\"linux\",\"distro\":\"rhel\","
                 "\"kernels\":[\"vmlinuz-3.10.0\"],\"bootloader\":\"grub2\"},"
                 "\"filesystems\":[{\"device\":\"/dev/sda1\",\"type\":"
                 "\"xfs\",\"mountpoint\":\"/boot\",\"xfs_version\":4},"
                 "{\"device\":\"/dev/sda2\",\"type\":\"xfs\",\"mountpoint\":"
                 "\"/\",\"xfs_version\":4}],\"encrypted\":[\"/dev/sdb\"]}"),
         0, "two XFS v4 and a LUKS disk: every reason");
  ok(strstr(reasons_text, "encrypted (LUKS) device /dev/sdb and no key") &&
     strstr(reasons_text, "on /dev/sda1, mounted at /boot by the guest:") &&
     strstr(reasons_text, "on /dev/sda2, mounted at / by the guest:"),
     "  one each: %s", reasons_text);

  ok(inspect_linux_distro_supported("ubuntu") &&
     inspect_linux_distro_supported("rhel") &&
     !inspect_linux_distro_supported("archlinux") &&
     !inspect_linux_distro_supported(NULL), "distribution list");
}

static void test_nbd(void)
{
  char *server = NULL, *exp = NULL;

  is_int(inspect_nbd_drive("nbd+unix:///sda?socket=/run/uch/jobs/x/src0.sock",
                           &server, &exp), 0, "nbd+unix URI");
  is_str(server, "unix:/run/uch/jobs/x/src0.sock", "  server");
  is_str(exp, "sda", "  export");
  free(server);
  free(exp);
  is_int(inspect_nbd_drive("nbd+unix:///?socket=/tmp/a%20b.sock", &server,
                           &exp), 0, "default export, escaped socket");
  is_str(server, "unix:/tmp/a b.sock", "  unescaped");
  is_str(exp, "", "  empty export name");
  free(server);
  free(exp);
  is_int(inspect_nbd_drive("nbds+unix:///?socket=/tmp/s", &server, &exp), -1,
         "TLS refused");
  ok(!server && !exp, "  nothing returned");
  is_int(inspect_nbd_drive("nbd://host:10809/sda", &server, &exp), -1,
         "TCP refused (nbdkit serves it locally first)");
  is_int(inspect_nbd_drive("nbd+unix:///x?socket=/s&tls=on", &server, &exp),
         -1, "other query parameters refused");
  is_int(inspect_nbd_drive("nbd+unix:///x%00y?socket=/s", &server, &exp), -1,
         "NUL in the export refused");
  is_int(inspect_nbd_drive("nbd+unix:///x%4?socket=/s", &server, &exp), -1,
         "short escape refused");
}

static void test_helper_argv(void)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *line = NULL;

  ok(inspect_helper_argv(&a, "/usr/libexec/uch/uch-inspect",
                         "/run/uch/jobs/j1") == 0,
     "helper argv built");
  line = argv_join(&a);
  is_str(line, "/usr/libexec/uch/uch-inspect /run/uch/jobs/j1",
         "helper command line");
}

static void test_formats(void)
{
  char path[] = "/tmp/test-convert-inspect.XXXXXX";
  int fd = mkstemp(path);

  ok(fd >= 0, "temp file");
  is_str(inspect_image_format(path), "raw", "empty file: raw");
  ok(pwrite(fd, "QFI\xfb\0\0\0\3", 8, 0) == 8, "qcow2 magic written");
  is_str(inspect_image_format(path), "qcow2", "qcow2 by its magic");
  ok(pwrite(fd, "KDMV", 4, 0) == 4, "vmdk magic written");
  is_str(inspect_image_format(path), "vmdk", "vmdk by its magic");
  ok(pwrite(fd, "\xeb\x63\x90\x00", 4, 0) == 4, "an MBR boot sector");
  is_str(inspect_image_format(path), "raw", "anything else: raw");
  close(fd);
  unlink(path);
  ok(inspect_image_format("/nonexistent/x") == NULL, "missing file: NULL");
}

int main(void)
{
  test_verdict();
  test_nbd();
  test_helper_argv();
  test_formats();
  return tap_done();
}
