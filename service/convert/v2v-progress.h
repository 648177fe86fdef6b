/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What virt-v2v says, turned into the job's progress.
 *
 * Two streams: its --machine-readable=file: JSON lines ({"type":
 * "message"|"info"|"warning"|"error", "message": ...}) and its
 * stdout/stderr, where the copy bar redraws itself with "\r" and, in
 * machine-readable mode, prints "N/M" lines.  Both are fed in arbitrary
 * chunks; lines end at "\r" as well as "\n". */
#ifndef UCH_V2V_PROGRESS_H
#define UCH_V2V_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#define V2V_LINE_MAX 4096
#define V2V_WARNINGS_MAX 32

struct v2v_progress {
  char phase[64];      /* "inspecting", "converting", "copying", ... */
  int disk;            /* 1-based disk being copied, 0 before copying */
  int disks;           /* how many disks virt-v2v copies */
  int percent;         /* of the disk being copied, -1 when unknown */
  char *warnings[V2V_WARNINGS_MAX];
  int n_warnings;
  char *error;         /* virt-v2v's own error line, without "virt-v2v: error: " */
  char product[256];   /* "Windows 10 Pro", from "Converting ... to run on KVM" */
  /* from its info line "This guest has (does not have) virtio drivers
   * installed.": 1 has, -1 has not, 0 not said */
  int virtio_drivers;
  bool changed;        /* set on any change; the caller clears it */

  char partial[V2V_LINE_MAX];  /* the unfinished line of the output */
  size_t partial_len;
  char mr_partial[V2V_LINE_MAX];
  size_t mr_len;
};

void v2v_progress_init(struct v2v_progress *p);
void v2v_progress_free(struct v2v_progress *p);

/* Feed bytes of virt-v2v's (or virt-v2v-in-place's) stdout/stderr. */
void v2v_progress_feed_output(struct v2v_progress *p, const char *buf,
                              size_t len);
/* Feed bytes of the machine-readable file. */
void v2v_progress_feed_machine(struct v2v_progress *p, const char *buf,
                               size_t len);

/* One complete line of each kind (no line end); exposed for tests. */
void v2v_progress_output_line(struct v2v_progress *p, const char *line);
void v2v_progress_machine_line(struct v2v_progress *p, const char *line);

#endif
