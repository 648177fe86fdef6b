/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `uch-inspect RTDIR`: the helper process of an inspect job.
 * It opens the drives listed in RTDIR/inspect-drives.json read-only with
 * the libguestfs C API, inspects them and writes what it found to
 * RTDIR/inspect-facts.json (the facts inspect-verdict.h judges).  It
 * prints "phase NAME" lines as it goes; libguestfs's errors go to
 * stderr.  A separate process so that a cancel (SIGTERM to its process
 * group) ends it and the appliance together, whichever libguestfs call
 * it is blocked in. */
#ifndef UCH_INSPECT_GUEST_H
#define UCH_INSPECT_GUEST_H

/* Exit status: 0 when the facts were written, 1 otherwise. */
int inspect_guest_main(const char *rt_dir);

#endif
