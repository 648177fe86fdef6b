/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/listen.h"
#include "uchd/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/hostport.h"
#include "util/log.h"

/* A socket left by a uchd that died is removed; one that still answers
 * (another uchd with another state dir) or anything that is not a socket
 * is left alone, and we do not start. */
static int stale_socket_remove(const char *path, const struct sockaddr_un *sa)
{
  _cleanup_close_ int probe = -1;
  struct stat st;

  if (lstat(path, &st) < 0) {
    if (errno == ENOENT)
      return 0;
    log_error("%s: %m", path);
    return -1;
  }
  if (!S_ISSOCK(st.st_mode)) {
    log_error("%s exists and is not a socket; not removed", path);
    errno = EEXIST;
    return -1;
  }
  probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    log_error("socket: %m");
    return -1;
  }
  if (connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0) {
    log_error("%s: another process is listening on it; not removed", path);
    errno = EADDRINUSE;
    return -1;
  }
  if (unlink(path) < 0 && errno != ENOENT) {
    log_error("%s: %m", path);
    return -1;
  }
  return 0;
}

int unix_socket_open(const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  _cleanup_free_ char *dir = strdup(path);
  _cleanup_close_ int fd = -1;

  if (strlen(path) >= sizeof sa.sun_path) {
    log_error("%s: Unix socket path too long", path);
    errno = ENAMETOOLONG;
    return -1;
  }
  if (dir && strrchr(dir, '/') && strrchr(dir, '/') != dir) {
    *strrchr(dir, '/') = '\0';
    mkdir_p(dir, 0755);
  }
  strcpy(sa.sun_path, path);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (stale_socket_remove(path, &sa) < 0)
    return -1;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      chmod(path, 0660) < 0 || listen(fd, SOMAXCONN) < 0) {
    log_error("%s: %m", path);
    return -1;
  }
  return steal_fd(fd);
}

int tcp_socket_open(const char *host_port)
{
  _cleanup_free_ char *host = NULL, *port = NULL;
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
  struct addrinfo *res = NULL;
  int one = 1, r;

  if (host_port_split(host_port, &host, &port) < 0) {
    errno = EINVAL;
    return -1;
  }
  r = getaddrinfo(host, port, &hints, &res);
  if (r != 0) {
    log_error("listen %s: %s", host_port, gai_strerror(r));
    errno = EINVAL;
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  0);
  if (fd < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
      listen(fd, SOMAXCONN) < 0) {
    int saved = errno;
    log_error("listen %s: %m", host_port);
    if (fd >= 0)
      close(fd);
    freeaddrinfo(res);
    errno = saved;
    return -1;
  }
  freeaddrinfo(res);
  return fd;
}
