/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block devices attached to the appliance ("volumes"), found with
 * sd-device, and the Cinder-style ids they are asked for by: a virtio
 * serial (the first 20 characters of the id) or a /dev/disk/by-id name.
 * Shared by uchd (GET /v1/volumes, disk conflicts) and uch-job (opening
 * {"volume": ID} sources and destinations). */
#ifndef UCH_VOLUMES_H
#define UCH_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

/* virtio-blk keeps this much of a serial, so of a Cinder volume id. */
#define VOLUME_SERIAL_MAX 20
/* the longest "wait_s" a request may ask for */
#define VOLUME_WAIT_MAX 3600
#define VOLUME_BY_ID_DEFAULT "/dev/disk/by-id"
/* uchd's --volume-by-id-dir, passed on to its workers. */
#define VOLUME_BY_ID_ENV "UCH_VOLUME_BY_ID_DIR"

struct volume {
  char *path;             /* /dev/vdb */
  char *serial;           /* NULL when the device has none */
  uint64_t size;          /* bytes */
  dev_t devnum;
  bool read_only;
  /* it, a partition of it, or what is stacked on it (dm, md) is
   * mounted or swap: the system's, never a destination */
  bool mounted;
  char **ids;             /* by-id names that point at it */
  size_t n_ids;
};

struct volume_list {
  struct volume *v;
  size_t n;
};

/* $UCH_VOLUME_BY_ID_DIR or /dev/disk/by-id. */
const char *volume_by_id_dir(void);

/* Every whole disk with a size (partitions and empty loop devices are
 * left out), with its by-id names from `by_id_dir`. */
int volumes_list(const char *by_id_dir, struct volume_list *out);
void volume_list_free(struct volume_list *l);
/* The volume asked for as `id`, or NULL when none is attached (yet). */
const struct volume *volume_find(const struct volume_list *l, const char *id);
/* Pure matching rules, unit tested. */
bool volume_serial_matches(const char *serial, const char *id);
bool volume_by_id_name_matches(const char *name, const char *id);
/* {"path", "serial", "ids", "size", "read_only", "mounted"} */
json_object *volume_to_json(const struct volume *v);

/* Whole disks (devnums) that hold something mounted or used as swap.
 * `mountinfo`, `swaps`: /proc/self/mountinfo and /proc/swaps, read by
 * libmount.  -1 with errno when mountinfo cannot be read (never
 * "nothing is mounted"); a missing swaps file is no swap. */
int system_disks(const char *mountinfo, const char *swaps, dev_t **out,
                 size_t *n);

#endif
