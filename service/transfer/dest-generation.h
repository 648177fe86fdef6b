/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who wrote a destination last.  STATE/destinations/KEY.json (KEY the
 * device number, or file system and inode) holds a random generation
 * that every copy or warm pass writing that destination renews when it
 * starts writing from scratch; a checkpoint records it.  A resume whose
 * checkpoint's generation is not the current one would trust data
 * another job wrote since: it starts over instead.  Writers outside UCH
 * are caught by the checkpoint's digest (resumable.c). */
#ifndef UCH_DEST_GENERATION_H
#define UCH_DEST_GENERATION_H

#include <stddef.h>
#include <sys/stat.h>

#define DEST_GENERATION_LEN 33   /* 32 hex digits and a NUL */

/* job_dir is STATE/jobs/ID.  0 with gen set, -1 when there is none. */
int dest_generation_read(const char *job_dir, const struct stat *st,
                         char gen[DEST_GENERATION_LEN], char *job,
                         size_t job_len);
/* A new generation, written before the first write; -1 with errno. */
int dest_generation_new(const char *job_dir, const struct stat *st,
                        const char *job_id, char gen[DEST_GENERATION_LEN]);

#endif
