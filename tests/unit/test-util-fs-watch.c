/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fs_watch_new_files(): the one inotify watch behind a server's pid
 * file wait (runner/tools.c) and a sync job's requests (sync/). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "tap.h"

static bool readable(int fd)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  return poll(&p, 1, 0) == 1;
}

static void drain(int fd)
{
  char buf[4096];
  while (read(fd, buf, sizeof buf) > 0)
    ;
}

int main(void)
{
  char dir[] = "/tmp/uch-fswatch.XXXXXX";
  char path[64], tmp[64];
  int fd;

  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  fd = fs_watch_new_files(dir);
  ok(fd >= 0, "a directory is watched");
  ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
  ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "non-blocking");
  ok(!readable(fd), "nothing yet");

  snprintf(path, sizeof path, "%s/made", dir);
  close(open(path, O_CREAT | O_WRONLY, 0600));
  ok(readable(fd), "a file created wakes it");
  drain(fd);
  ok(!readable(fd), "read empty again");

  /* the way a pid file or a request is put in place */
  snprintf(tmp, sizeof tmp, "/tmp/uch-fswatch-tmp.%d", (int)getpid());
  close(open(tmp, O_CREAT | O_WRONLY, 0600));
  snprintf(path, sizeof path, "%s/moved", dir);
  ok(rename(tmp, path) == 0 && readable(fd), "a file moved in wakes it");
  drain(fd);
  close(fd);

  errno = 0;
  fd = fs_watch_new_files("/nonexistent/uch-fswatch");
  ok(fd == -1 && errno == ENOENT, "a missing directory: -1, ENOENT");

  rm_rf(dir);
  return tap_done();
}
