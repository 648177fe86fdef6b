/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jobs/request.h"
#include "transfer/endpoint.h"
#include "transfer/export-listen.h"
#include "util/cleanup.h"
#include "util/hostport.h"
#include "util/jsonutil.h"
#include "util/nbd-uri.h"
#include "util/timeutil.h"

char *export_uri(const struct listen_spec *l, const char *name)
{
  struct uch_nbd_uri_param psk = { "tls-psk-file", (char *)l->psk_file };
  struct uch_nbd_uri u = {
    .tls = true, .user = (char *)l->username,
    .host = (char *)(l->advertise ? l->advertise : l->host),
    .export_name = (char *)name, .params = &psk, .n_params = 1,
  };

  if (l->unix_sock)
    return uch_nbd_unix_uri(name, l->unix_sock);
  u.port = atoi(l->port);
  return uch_nbd_uri_format(&u);
}

int psk_generate(const char *path, const char *username)
{
  unsigned char key[32];
  char line[256];
  size_t n;
  _cleanup_close_ int fd = -1;

  if (getrandom(key, sizeof key, 0) != sizeof key)
    return -1;
  n = snprintf(line, sizeof line, "%s:", username);
  for (size_t i = 0; i < sizeof key && n + 3 < sizeof line; i++)
    n += snprintf(line + n, sizeof line - n, "%02x", key[i]);
  line[n++] = '\n';
  explicit_bzero(key, sizeof key);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  int ret = write(fd, line, n) == (ssize_t)n ? 0 : -1;
  explicit_bzero(line, sizeof line);
  return ret;
}

int listen_prepare(struct runner *r,
                   const struct export_listen_request *listen,
                   struct listen_spec *l, struct job_failure *f)
{
  memset(l, 0, sizeof *l);
  if (listen->kind == LISTEN_UNIX) {
    l->unix_sock = runtime_path(r, "nbd.sock");
    if (!l->unix_sock) {
      failure_set(f, "internal", "runtime directory %s: %s", r->rt_dir,
                  strerror(errno));
      return -1;
    }
    return 0;
  }
  if (host_port_split(listen->tcp, &l->host, &l->port) < 0) {
    failure_set(f, "invalid_request", "listen.tcp: \"%s\" is not HOST:PORT",
                listen->tcp);
    return -1;
  }
  l->username = strdup(listen->tls_username);
  l->advertise = listen->advertise ? strdup(listen->advertise) : NULL;
  if (listen->tls_psk_file) {
    l->psk_file = secret_path(r->rt_dir, "listen.tls_psk_file");
    return l->psk_file ? 0 : -1;
  }
  if (asprintf(&l->psk_file, "%s/tls.psk", r->rt_dir) < 0)
    return -1;
  if (psk_generate(l->psk_file, l->username) < 0) {
    failure_set(f, "internal", "%s: %s", l->psk_file, strerror(errno));
    return -1;
  }
  return 0;
}

/* 1: HOST:PORT is taken (EADDRINUSE); 0: it is not, or another error
 * (for nbdkit to report) */
static int port_taken(const char *host, const char *port)
{
  struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                            .ai_socktype = SOCK_STREAM }, *res = NULL;
  int taken = 0, one = 1;

  if (getaddrinfo(host, port, &hints, &res) != 0)
    return 0;
  for (struct addrinfo *ai = res; ai && !taken; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
      continue;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno == EADDRINUSE)
      taken = 1;
    close(fd);
  }
  freeaddrinfo(res);
  return taken;
}

int listen_port_wait(const char *host, const char *port, unsigned wait_s,
                     bool (*stop)(void *opaque), void *opaque,
                     unsigned *tries)
{
  double since = time_monotonic();

  *tries = 0;
  for (;;) {
    ++*tries;
    if (!port_taken(host, port))
      return 0;
    if (time_retry_pause(since, wait_s, 200, stop, opaque) < 0) {
      if (errno == ETIMEDOUT)
        errno = EADDRINUSE;
      return -1;
    }
  }
}

void listen_free(struct listen_spec *l)
{
  free(l->unix_sock);
  free(l->host);
  free(l->port);
  free(l->advertise);
  free(l->psk_file);
  free(l->username);
  memset(l, 0, sizeof *l);
}

void listen_to_export(const struct listen_spec *l, struct export_listen *e)
{
  e->unix_sock = l->unix_sock;
  e->addr = l->host;
  e->port = l->port;
  e->psk_file = l->psk_file;
}
