/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>

#include "transfer/tool-argv.h"

int qemu_img_create_argv(struct argv *a, const char *path, uint64_t size)
{
  static const char *const head[] = { "qemu-img", "create", "-f", "qcow2",
                                      NULL };
  if (argv_addv(a, head) < 0 || argv_add(a, path) < 0 ||
      argv_addf(a, "%" PRIu64, size) < 0)
    return -1;
  return 0;
}

/* The overlay names its backing file by the absolute path given and
 * its format given (never probed: a raw disk could pass for qcow2). */
int qemu_img_overlay_argv(struct argv *a, const char *backing,
                          const char *backing_format, const char *overlay)
{
  static const char *const head[] = { "qemu-img", "create", "-f", "qcow2",
                                      "-b", NULL };
  if (argv_addv(a, head) < 0 || argv_add(a, backing) < 0 ||
      argv_add(a, "-F") < 0 || argv_add(a, backing_format) < 0 ||
      argv_add(a, overlay) < 0)
    return -1;
  return 0;
}

/* -d: the overlay is removed next, emptying it would be wasted writes. */
int qemu_img_commit_argv(struct argv *a, const char *overlay)
{
  static const char *const head[] = { "qemu-img", "commit", "-f", "qcow2",
                                      "-d", NULL };
  if (argv_addv(a, head) < 0 || argv_add(a, overlay) < 0)
    return -1;
  return 0;
}

/* --persistent and --shared: nbdcopy, then verify, each connect; the
 * server lives until we stop it (SIGTERM makes it flush and exit).
 * Zeroes become holes in the image, as they are in the source. */
int qemu_nbd_argv(struct argv *a, const char *path, const char *sock,
                  const char *pidfile)
{
  static const char *const opts[] = {
    "--persistent", "--shared=4", "--cache=writeback", "--discard=unmap",
    "--detect-zeroes=unmap", NULL,
  };
  if (argv_add(a, "qemu-nbd") < 0 || argv_add(a, "-f") < 0 ||
      argv_add(a, "qcow2") < 0 || argv_add(a, "--socket") < 0 ||
      argv_add(a, sock) < 0 || argv_addf(a, "--pid-file=%s", pidfile) < 0 ||
      argv_addv(a, opts) < 0 || argv_add(a, path) < 0)
    return -1;
  return 0;
}
