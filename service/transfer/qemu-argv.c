#include <inttypes.h>

#include "tool-argv.h"

int qemu_img_create_argv(struct argv *a, const char *path, uint64_t size)
{
  static const char *const head[] = { "qemu-img", "create", "-f", "qcow2",
                                      NULL };
  if (argv_addv(a, head) < 0 || argv_add(a, path) < 0 ||
      argv_addf(a, "%" PRIu64, size) < 0)
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
