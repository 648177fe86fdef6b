/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A convert job's output.block: virt-v2v -o local -of raw into a private
 * directory of the job where DIR/NAME-sdX are symlinks to the block
 * devices, so the converted disks land on the devices. */
#ifndef UCH_V2V_BLOCK_H
#define UCH_V2V_BLOCK_H

#include <json-c/json.h>

#include "jobs/job-request.h"
#include "runner/runner.h"

struct v2v_block {
  char *dir;              /* RUNTIME/jobs/ID/block (0700) */
  const char *name;       /* the request's name */
  const struct convert_block_device *req; /* output.block.devices */
  size_t n;
  char **devices;         /* resolved: a volume's device */
  char **links;           /* DIR/NAME-sdX */
};

/* "sda", "sdb", ... as virt-v2v names disk I (I < 26). */
void v2v_drive_name(size_t i, char out[8]);

/* Resolves output.block.devices (a volume waited for; never a disk the
 * system uses, and writable), makes DIR and the links.  Nothing is
 * prepared when the request has no output.block.  0, or -1 with f set. */
int v2v_block_prepare(struct runner *r, const struct convert_request *req,
                      struct v2v_block *b, struct job_failure *f);
/* After virt-v2v succeeded: every link still a link and nothing else
 * written (a guest with more disks than devices fails the job);
 * result.disks = the devices written (the first COPIED, as virt-v2v
 * counted its disks; all when it said nothing), result.metadata = the domain XML moved to
 * STATE/jobs/ID/NAME.xml with the links replaced by the devices. */
int v2v_block_result(struct runner *r, struct v2v_block *b, int copied,
                     json_object *result, struct job_failure *f);
void v2v_block_free(struct v2v_block *b);

#endif
