/* {"volume": ID, "wait_s": N} in a copy's source or destination: the
 * attached block device it names (service/volumes), waited for. */
#ifndef UCH_VOLUME_OPEN_H
#define UCH_VOLUME_OPEN_H

#include <stdbool.h>
#include <json-c/json.h>

#include "runner.h"

/* *path is the device (caller frees).  A destination is never a disk the
 * system uses (mounted, swap, under LVM/md) nor a read-only one. */
int volume_open(struct runner *r, json_object *o, bool destination,
                char **path, struct job_failure *f);
/* For any block device destination, given by path or by volume. */
int block_destination_check(const char *path, struct job_failure *f);

#endif
