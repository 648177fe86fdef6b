/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/worker.h"
#include "util/cleanup.h"

int worker_argv(struct argv *a, const char *uch_job, const char *state_dir,
                const char *runtime_dir, const char *id)
{
  if (argv_add(a, uch_job) < 0 || argv_add(a, "--state-dir") < 0 ||
      argv_add(a, state_dir) < 0 || argv_add(a, "--runtime-dir") < 0 ||
      argv_add(a, runtime_dir) < 0 || argv_add(a, "start") < 0 ||
      argv_add(a, id) < 0)
    return -1;
  return 0;
}

char *worker_program(void)
{
  const char *env = getenv("UCH_JOB");
  char self[PATH_MAX];
  ssize_t n;

  if (env && *env)
    return strdup(env);
  n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      char *p;
      *slash = '\0';
      if (asprintf(&p, "%s/uch-job", self) < 0)
        return NULL;
      if (access(p, X_OK) == 0)
        return p;
      free(p);
    }
  }
  return strdup(UCH_LIBEXECDIR "/uch/uch-job");
}
