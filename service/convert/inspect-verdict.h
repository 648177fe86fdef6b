/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether virt-v2v can convert an inspected guest, and why not: pure
 * rules over the facts the inspection found (inspect-guest.c), so they
 * are unit-tested without an appliance. */
#ifndef UCH_INSPECT_VERDICT_H
#define UCH_INSPECT_VERDICT_H

#include <stdbool.h>
#include <json-c/json.h>

/* Less free space than this on the root filesystem and virt-v2v cannot
 * rebuild the initramfs or install drivers. */
#define INSPECT_MIN_ROOT_FREE (100ULL << 20)
/* ... and on a separate /boot. */
#define INSPECT_MIN_BOOT_FREE (50ULL << 20)

/* `facts`: {"os": null | {"type", "distro", "kernels": [...],
 * "bootloader": NAME|null, "root": DEV, ...},
 * "filesystems": [{"device", "type", "mountpoint"?, "free"?,
 * "hibernated"? (ntfs), "xfs_version"? (xfs)}],
 * "encrypted": [DEV...]}.  Appends a sentence to `reasons` for each
 * thing that stops a conversion; returns true when there is none. */
bool inspect_verdict(json_object *facts, json_object *reasons);

/* virt-v2v converts these Linux distributions (inspect_get_distro). */
bool inspect_linux_distro_supported(const char *distro);

#endif
