/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch-inspect RTDIR: the libguestfs process of an inspect job, started
 * by uch-job; uch-inspect --pin-nics RTDIR: an inplace job's step that
 * keeps a Linux guest's NIC names (convert/nic-pin.h).  A program of its
 * own so that only it links libguestfs (and what libguestfs pulls in:
 * qemu, libvirt): uchd and uch-job run on hosts without them, and a job
 * that needs it there fails naming what is missing. */
#include <stdio.h>
#include <string.h>

#include "guestfs/inspect-guest.h"
#include "guestfs/nic-pin-guest.h"

int main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "--pin-nics") == 0 && argv[2][0] == '/')
    return nic_pin_guest_main(argv[2]);
  if (argc != 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: uch-inspect [--pin-nics] RUNTIME-DIR "
            "(run by uch-job)\n");
    return 1;
  }
  return inspect_guest_main(argv[1]);
}
