/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A point-in-time view of a sync job's destinations while a rehearsal
 * reads them (issue 19 item 1): one qemu-storage-daemon holds every
 * destination under a copy-before-write filter whose target is a
 * sparse file of the same size in the job's scratch folder; a
 * snapshot-access node over each filter is exported read-only (the
 * rehearsal's overlays' backing), the filter itself writable (a pass
 * run meanwhile writes through it).  Before a pass overwrites a
 * cluster the snapshot has not copied yet, the filter copies the old
 * data to the target, so the rehearsal keeps seeing the disks as they
 * were when it started, and the pass waits only for that copy. */
#ifndef UCH_SYNC_SNAPSHOT_H
#define UCH_SYNC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "jobs/job-request.h"
#include "runner/runner.h"
#include "util/argv.h"

struct dest_snapshot {
  struct child *qsd;        /* NULL: none running */
  size_t n;
  char *sock;               /* RUNTIME/jobs/ID/snapshot.sock */
  char *pidfile;
  char *targets[REQUEST_MAX_DISKS];    /* the old data, sparse */
  char *write_uri[REQUEST_MAX_DISKS];  /* the destination, through CBW */
  char *read_uri[REQUEST_MAX_DISKS];   /* the destination as it was */
};

/* qemu-storage-daemon's command line for n destinations (paths[i],
 * a block device when is_block[i]) and their CBW targets: nodes d<i>
 * (the destination), t<i> (the target), c<i> (the filter), s<i> (the
 * snapshot), exports w<i> (c<i>, writable) and s<i> (s<i>, read-only)
 * on the Unix socket `sock`. */
int snapshot_argv(struct argv *a, const char *qsd, size_t n,
                  const char *const *paths, const bool *is_block,
                  const char *const *targets, const char *sock,
                  const char *pidfile);

/* Starts the daemon over the n destinations; 0 once it serves, or -1
 * with f set and nothing left (or on cancel). */
int snapshot_start(struct runner *r, size_t n, char *const *paths,
                   struct dest_snapshot *s, struct job_failure *f);
/* Stops it and removes its targets and socket; nothing when none. */
void snapshot_stop(struct runner *r, struct dest_snapshot *s);

#endif
