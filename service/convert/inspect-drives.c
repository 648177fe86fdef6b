/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/inspect-drives.h"
#include "runner/runner.h"
#include "util/nbd-uri.h"
#include "util/cleanup.h"

int inspect_helper_argv(struct argv *a, const char *helper,
                        const char *rt_dir)
{
  if (argv_add(a, helper) < 0 || argv_add(a, rt_dir) < 0)
    return -1;
  return 0;
}

void inspect_helper_line(struct child *ch, const char *line)
{
  struct runner *r = ch->opaque;

  children_log(&r->kids, ch->tool, "%s", line);
  if (strncmp(line, "phase ", 6) == 0)
    runner_set_phase(r, line + 6);
  snprintf(ch->last_line, sizeof ch->last_line, "%s", line);
}

int inspect_helper_run(struct runner *r, const char *tool,
                       const struct argv *a, const char *needs,
                       const char *code, struct job_failure *f)
{
  const char *helper = a->v[0];
  struct child *ch;

  if (access(helper, X_OK) < 0) {
    failure_set(f, "missing_dependency", "%s: %s (%s UCH's libguestfs "
                "helper and libguestfs itself)", helper, strerror(errno),
                needs);
    return -1;
  }
  if (!(ch = child_spawn(&r->kids, tool, a, -1))) {
    failure_set(f, "internal", "cannot run %s: %s", helper, strerror(errno));
    return -1;
  }
  ch->on_line = inspect_helper_line;
  ch->opaque = r;
  return runner_child_finish(r, ch, f, code);
}

char *inspect_helper_path(void)
{
  const char *env = getenv("UCH_INSPECT");
  char self[PATH_MAX], *slash, *p;
  ssize_t len;

  if (env && env[0])
    return strdup(env);
  len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len < 0)
    return NULL;
  self[len] = '\0';
  slash = strrchr(self, '/');
  if (!slash) {
    errno = ENOENT;
    return NULL;
  }
  *slash = '\0';
  return asprintf(&p, "%s/uch-inspect", self) < 0 ? NULL : p;
}

int inspect_nbd_drive(const char *uri, char **server, char **export_name)
{
  struct uch_nbd_uri u;
  char why[128];
  int ret = -1;

  *server = *export_name = NULL;
  if (uch_nbd_uri_parse(uri, &u, why, sizeof why) == 0 && u.unix_socket &&
      !u.tls && u.n_params == 1 && asprintf(server, "unix:%s", u.socket) >= 0) {
    *export_name = steal_ptr(u.export_name);
    ret = 0;
  }
  uch_nbd_uri_free(&u);
  return ret;
}

const char *inspect_image_format(const char *path)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  unsigned char magic[4];
  ssize_t n;

  if (fd < 0)
    return NULL;
  n = pread(fd, magic, sizeof magic, 0);
  if (n < 0)
    return NULL;
  if (n == 4 && memcmp(magic, "QFI\xfb", 4) == 0)
    return "qcow2";
  if (n == 4 && memcmp(magic, "KDMV", 4) == 0)
    return "vmdk";
  return "raw";
}
