/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt domain XML that virt-v2v-in-place reads (-i libvirtxml)
 * for disks that are already copied: the guest as the source hypervisor
 * described it, the disks in their order (through the qcow2 overlays
 * the worker puts over them, so a failed conversion changes nothing). */
#ifndef UCH_INPLACE_XML_H
#define UCH_INPLACE_XML_H

#include <stdbool.h>
#include <stddef.h>

struct inplace_disk {
  const char *path;     /* file or block device */
  const char *format;   /* "raw" or "qcow2" */
};

struct inplace_nic {
  const char *mac;
  const char *network;  /* network name, or NULL ... */
  const char *bridge;   /* ... bridge name */
};

struct inplace_guest {
  const char *name;
  unsigned memory_mib;
  unsigned vcpus;
  bool uefi;
  const struct inplace_disk *disks;
  size_t n_disks;
  const struct inplace_nic *nics;
  size_t n_nics;
};

/* A malloc'd document, or NULL (errno set; EINVAL for a guest with no
 * name, no disks, or more than 702 disks: sda..sdzz). */
char *inplace_xml(const struct inplace_guest *g);

/* "sda", "sdz", "sdaa": the target name of disk I (0-based). */
void inplace_disk_target(size_t i, char out[8]);

#endif
