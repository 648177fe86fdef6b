/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files the way a crash cannot half-write them. */
#ifndef UCH_FS_H
#define UCH_FS_H

#include <stddef.h>
#include <sys/types.h>

/* temp file in the same directory + fsync + rename + fsync(dir). */
int write_file_atomic(const char *path, const void *data, size_t len,
                      mode_t mode);
/* Whole file into a NUL-terminated buffer. */
int read_file(const char *path, char **data, size_t *len);
int mkdir_p(const char *path, mode_t mode);
/* Remove a tree; missing is not an error. */
int rm_rf(const char *path);
/* A file that may hold a secret: regular, owned by us or root, not
 * readable by group or others. */
int check_private_file(const char *path);
/* An inotify descriptor (non-blocking, close-on-exec) readable once a
 * file appears in DIR, created or moved in (a rename into place), or
 * -1 with errno set.  Its events only wake the caller, who looks for
 * what it waits for. */
int fs_watch_new_files(const char *dir);
/* What check_private_file()'s errno ERR says of the file (EPERM, EINVAL),
 * for a message "PATH RULE"; NULL for an error of the system (say %m). */
const char *private_file_rule(int err);

#endif
