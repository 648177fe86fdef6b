/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transfer/filter-path.h"

char *uch_filter_path(const char *file, char **tried)
{
  char self[PATH_MAX], *slash, *p = NULL, *lib = NULL;
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

  *tried = NULL;
  if (n > 0) {
    self[n] = '\0';
    if ((slash = strrchr(self, '/'))) {
      *slash = '\0';
      if (asprintf(&p, "%s/%s", self, file) < 0)
        return NULL;
      if (access(p, R_OK) == 0)
        return p;
    }
  }
  if (asprintf(&lib, "%s/uch/%s", UCH_LIBEXECDIR, file) < 0)
    lib = NULL;
  if (lib && access(lib, R_OK) == 0) {
    free(p);
    return lib;
  }
  free(lib);
  *tried = p;
  return NULL;
}
