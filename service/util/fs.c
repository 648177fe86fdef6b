/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static int write_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t r = write(fd, p, len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += r;
    len -= r;
  }
  return 0;
}

static int fsync_parent(const char *path)
{
  _cleanup_free_ char *copy = strdup(path);
  _cleanup_close_ int dfd = -1;

  if (!copy)
    return -1;
  dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  return fsync(dfd);
}

int write_file_atomic(const char *path, const void *data, size_t len,
                      mode_t mode)
{
  _cleanup_free_ char *tmp = NULL;
  _cleanup_close_ int fd = -1;

  if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
    return -1;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 ||
      fsync(fd) < 0)
    goto err;
  if (close(steal_fd(fd)) < 0)
    goto err;
  if (rename(tmp, path) < 0)
    goto err;
  return fsync_parent(path);

err:
  {
    int saved = errno;
    unlink(tmp);
    errno = saved;
  }
  return -1;
}

int read_file(const char *path, char **data, size_t *len)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  _cleanup_free_ char *buf = NULL;
  size_t n = 0, cap = 0;

  if (fd < 0)
    return -1;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      size_t ncap = cap ? cap * 2 : 8192;
      char *nb = realloc(buf, ncap);
      if (!nb)
        return -1;
      buf = nb;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    n += r;
  }
  buf[n] = '\0';
  *data = steal_ptr(buf);
  if (len)
    *len = n;
  return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
  _cleanup_free_ char *p = strdup(path);
  if (!p)
    return -1;
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
      return -1;
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
  (void)st; (void)ftw;
  if (flag == FTW_DP)
    return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
  return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path)
{
  if (access(path, F_OK) < 0 && errno == ENOENT)
    return 0;
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int check_private_file(const char *path)
{
  struct stat st;

  if (stat(path, &st) < 0)
    return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return -1;
  }
  if ((st.st_mode & 0077) || (st.st_uid != 0 && st.st_uid != geteuid())) {
    errno = EPERM;
    return -1;
  }
  return 0;
}

const char *private_file_rule(int err)
{
  switch (err) {
  case EPERM:
    return "must be readable by its owner only (chmod 600) and owned by "
      "root or uchd's user";
  case EINVAL:
    return "is not a regular file";
  default:
    return NULL;
  }
}

int fs_watch_new_files(const char *dir)
{
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

  if (fd < 0)
    return -1;
  if (inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}
