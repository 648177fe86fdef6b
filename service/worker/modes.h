/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two ways to run a job: `start ID` under uchd, `run FILE` alone. */
#ifndef UCH_WORKER_MODES_H
#define UCH_WORKER_MODES_H

#define DEFAULT_STATE_DIR "/var/lib/uch"
#define DEFAULT_RUNTIME_DIR "/run/uch"

/* Both return the exit status of uch-job: 0 succeeded, 1 failed (or
 * could not start), 2 cancelled. */
int mode_start(const char *state_dir, const char *runtime_dir, const char *id);
/* state_dir and runtime_dir may be NULL: a new temp dir is made (and
 * printed) for the state, the runtime dir goes inside it. */
int mode_run(const char *state_dir, const char *runtime_dir,
             const char *file);

#endif
