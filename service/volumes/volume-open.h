/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A volume or block device as one end of a job: the attached device a
 * volume id names, and whether a device may be written at all. */
#ifndef UCH_VOLUME_OPEN_H
#define UCH_VOLUME_OPEN_H

#include <stdbool.h>

#include "util/failure.h"

/* One look for volume `id` under `by_id_dir`: 0 with *path the device
 * (caller frees), 1 when it is not attached (yet), -1 with f set.  A
 * destination is never a disk the system uses (mounted, swap, under
 * LVM/md) nor a read-only one. */
int volume_resolve(const char *by_id_dir, const char *id, bool destination,
                   char **path, struct job_failure *f);
/* For any block device destination, given by path or by volume. */
int block_destination_check(const char *path, struct job_failure *f);

#endif
