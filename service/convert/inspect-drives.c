/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/inspect-drives.h"
#include "util/cleanup.h"

int inspect_helper_argv(struct argv *a, const char *helper,
                        const char *rt_dir)
{
  if (argv_add(a, helper) < 0 || argv_add(a, rt_dir) < 0)
    return -1;
  return 0;
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

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* %XX escapes; NULL when one is malformed or decodes to NUL. */
static char *unescape(const char *s, size_t len)
{
  char *out = malloc(len + 1), *p = out;

  if (!out)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    int h, l;
    if (s[i] != '%') {
      *p++ = s[i];
      continue;
    }
    h = i + 2 < len ? hexval(s[i + 1]) : -1;
    l = i + 2 < len ? hexval(s[i + 2]) : -1;
    if (h < 0 || l < 0 || (h == 0 && l == 0)) {
      free(out);
      return NULL;
    }
    *p++ = (char)(h * 16 + l);
    i += 2;
  }
  *p = '\0';
  return out;
}

int inspect_nbd_drive(const char *uri, char **server, char **export_name)
{
  static const char scheme[] = "nbd+unix:///";
  const char *name = uri + strlen(scheme), *query, *sock;
  _cleanup_free_ char *path = NULL, *exp = NULL;

  *server = *export_name = NULL;
  if (strncmp(uri, scheme, strlen(scheme)) != 0)
    return -1;
  query = strchr(name, '?');
  if (!query || strncmp(query, "?socket=", 8) != 0)
    return -1;
  sock = query + 8;
  if (strchr(sock, '&') || *sock != '/')
    return -1;
  exp = unescape(name, query - name);
  path = unescape(sock, strlen(sock));
  if (!exp || !path || asprintf(server, "unix:%s", path) < 0) {
    *server = NULL;
    return -1;
  }
  *export_name = steal_ptr(exp);
  return 0;
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
