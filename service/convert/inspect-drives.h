/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the inspect job hands libguestfs: each disk as a drive spec
 * ({"path", "format"} or {"server", "export"} for NBD), and the command
 * line of the helper process that runs libguestfs. */
#ifndef UCH_INSPECT_DRIVES_H
#define UCH_INSPECT_DRIVES_H

#include <json-c/json.h>

#include "util/argv.h"

/* RUNTIME/jobs/ID/ files between the worker and its helper. */
#define INSPECT_DRIVES_FILE "inspect-drives.json"
#define INSPECT_FACTS_FILE "inspect-facts.json"

/* HELPER RTDIR: uch-inspect, a child in its own process group like any
 * tool, so a cancel kills it and the appliance (qemu) it started
 * together. */
int inspect_helper_argv(struct argv *a, const char *helper,
                        const char *rt_dir);

/* A line of uch-inspect (either mode): to the job's log; "phase NAME"
 * the job's phase.  The child's opaque is the job's struct runner. */
struct child;
void inspect_helper_line(struct child *ch, const char *line);

/* uch-inspect (either mode) as the job's child TOOL, argv A (its first
 * word the helper): missing_dependency when the helper is not there,
 * saying that NEEDS it; its lines by inspect_helper_line; when it
 * fails, CODE and its last line.  On a cancel the appliance goes with
 * it (its process group). */
struct runner;
struct job_failure;
int inspect_helper_run(struct runner *r, const char *tool,
                       const struct argv *a, const char *needs,
                       const char *code, struct job_failure *f);

/* uch-inspect's path: $UCH_INSPECT, else beside the running uch-job
 * (build/ in the tree, LIBEXECDIR/uch/ installed).  NULL (errno) when
 * it cannot be told. */
char *inspect_helper_path(void);

/* nbd+unix:///EXPORT?socket=SOCK as libguestfs's nbd protocol wants it:
 * server "unix:SOCK", export name EXPORT (unescaped, may be "").
 * Returns -1 for any other URI (libguestfs cannot do TLS: network
 * sources reach it through nbdkit on a local socket). */
int inspect_nbd_drive(const char *uri, char **server, char **export_name);

/* "qcow2" or "vmdk" by the image's magic, else "raw"; NULL on a read
 * error (errno set). */
const char *inspect_image_format(const char *path);

#endif
