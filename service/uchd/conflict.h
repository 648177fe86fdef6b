/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Two active jobs must not write the same file or device, nor may one
 * write what another reads; reading the same one twice is fine.  Files
 * are compared by st_dev+st_ino, block devices by st_rdev, paths that do
 * not exist yet by their resolved name. */
#ifndef UCHD_CONFLICT_H
#define UCHD_CONFLICT_H

#include <stdbool.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "uchd/store.h"
#include "util/error.h"

struct disk_use {
  enum { USE_FILE, USE_BLOCK, USE_NAME } kind;
  dev_t dev;
  ino_t ino;
  char *name;              /* USE_NAME: the resolved path */
  bool writes;
  char field[64];          /* disks[i].destination.path */
};

struct disk_uses {
  struct disk_use *v;
  size_t n;
};

/* The local files and devices the typed request `r` reads and writes. */
int request_disk_uses(const struct job_request *r, struct disk_uses *out);
void disk_uses_free(struct disk_uses *u);
bool disk_use_same(const struct disk_use *a, const struct disk_use *b);
/* 1 and *err (code "conflict", field of `request`) when `request` clashes
 * with an active (queued or running) job of `store`; 2 and *err (code
 * "invalid_request") when it clashes with itself; 0 when neither. */
int conflict_check(struct store *store, const struct job_request *request,
                   struct uch_error *err);

#endif
