/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch-inspect RTDIR: the libguestfs process of an inspect job, started
 * by uch-job.  A program of its own so that only it links libguestfs
 * (and what libguestfs pulls in: qemu, libvirt): uchd and uch-job run
 * on hosts without them, and an inspect job there fails naming what is
 * missing. */
#include <stdio.h>
#include <string.h>

#include "guestfs/inspect-guest.h"

int main(int argc, char **argv)
{
  if (argc != 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: uch-inspect RUNTIME-DIR (run by uch-job)\n");
    return 1;
  }
  return inspect_guest_main(argv[1]);
}
