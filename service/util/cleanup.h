/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scope-bound cleanup, in the style of systemd and nbdkit. */
#ifndef UCH_CLEANUP_H
#define UCH_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <json-c/json.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void fclosep(FILE **f)
{
  if (*f) {
    int saved = errno;
    fclose(*f);
    errno = saved;
  }
}
static inline void closedirp(DIR **d)
{
  if (*d) {
    int saved = errno;
    closedir(*d);
    errno = saved;
  }
}
static inline void json_putp(json_object **o)
{
  if (*o)
    json_object_put(*o);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_json_ _cleanup_(json_putp)

/* Hand ownership out of a _cleanup_ variable. */
#define steal_ptr(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define steal_fd(fd) ({ int _t = (fd); (fd) = -1; _t; })

#endif
