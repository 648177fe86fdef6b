/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <microhttpd.h>

#include "api/http.h"
#include "server/listen.h"
#include "uchd/job-wait.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

struct listener {
  struct api_listener_info info;   /* first: kick() casts back */
  struct MHD_Daemon *mhd;
  sd_event_source *io;
  sd_event_source *timer;
};

static void rearm(struct listener *l)
{
  MHD_UNSIGNED_LONG_LONG ms;
  uint64_t now;

  if (MHD_get_timeout(l->mhd, &ms) != MHD_YES) {
    sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
    return;
  }
  sd_event_now(sd_event_source_get_event(l->timer), CLOCK_MONOTONIC, &now);
  sd_event_source_set_time(l->timer, now + ms * 1000);
  sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

static int on_io(sd_event_source *s __attribute__((unused)),
                 int fd __attribute__((unused)),
                 uint32_t revents __attribute__((unused)), void *userdata)
{
  struct listener *l = userdata;
  MHD_run(l->mhd);
  rearm(l);
  return 0;
}

static int on_timer(sd_event_source *s __attribute__((unused)),
                    uint64_t usec __attribute__((unused)), void *userdata)
{
  struct listener *l = userdata;
  MHD_run(l->mhd);
  rearm(l);
  return 0;
}

/* A long poll's connection was resumed: MHD_run at the next turn of the
 * loop (never from here, which may be inside one of MHD's callbacks). */
static void kick(struct api_listener_info *li)
{
  struct listener *l = (struct listener *)li;

  sd_event_source_set_time(l->timer, 0);
  sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

struct tls_files {
  char *cert, *key;
};

/* Connections are bounded so that no client, token or not, can take
 * uchd's descriptors: each listener accepts at most conn_max (a share of
 * RLIMIT_NOFILE, at most HTTP_CONN_MAX), a TCP one at most
 * HTTP_CONN_PER_IP from one address, and drops one idle for
 * HTTP_TCP_IDLE_S (HTTP_UNIX_IDLE_S on the Unix socket, whose file mode
 * is its access control).  Each listener is its own MHD daemon, so a TCP
 * flood never takes the Unix socket's share.  STRICT_FOR_CLIENT: a
 * request without Host, or with spaces in its URL or header names, is
 * 400; dispatch.c refuses conflicting framing headers.  A long poll's
 * suspended connection (api/job-wait.c) still counts against conn_max
 * and the per-address limit, and is resumed after at most WAIT_S_MAX. */
enum {
  HTTP_CONN_MAX = 256,
  HTTP_CONN_PER_IP = 64,
  HTTP_TCP_IDLE_S = 30,
  HTTP_UNIX_IDLE_S = 300,
};

static unsigned conn_max;

static int add_listener(struct uchd *d, int fd, bool is_unix,
                        const struct tls_files *t)
{
  struct listener *l = calloc(1, sizeof *l);
  unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
  unsigned idle = is_unix ? HTTP_UNIX_IDLE_S : HTTP_TCP_IDLE_S;
  unsigned per_ip = is_unix ? 0 : HTTP_CONN_PER_IP;
  struct MHD_OptionItem tls_opts[] = {
    { MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert },
    { MHD_OPTION_HTTPS_MEM_KEY, 0, t->key },
    { MHD_OPTION_END, 0, NULL },
  };
  const union MHD_DaemonInfo *info;
  int r;

  if (!l)
    return -1;
  l->info.d = d;
  l->info.is_unix = is_unix;
  l->info.kick = kick;
  if (!is_unix && t->cert)
    flags |= MHD_USE_TLS;
  else
    tls_opts[0].option = MHD_OPTION_END;
  l->mhd = MHD_start_daemon(
    flags, 0, NULL, NULL, api_access, &l->info, MHD_OPTION_LISTEN_SOCKET, fd,
    MHD_OPTION_NOTIFY_COMPLETED, api_completed, NULL,
    MHD_OPTION_CONNECTION_LIMIT, conn_max,
    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
    MHD_OPTION_CONNECTION_TIMEOUT, idle,
    MHD_OPTION_STRICT_FOR_CLIENT, 1,
    MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
  if (!l->mhd) {
    log_error("cannot start the HTTP server on fd %d", fd);
    free(l);
    return -1;
  }
  info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  if (!info)
    goto err;
  r = sd_event_add_io(d->ev, &l->io, info->epoll_fd, EPOLLIN, on_io, l);
  if (r < 0)
    goto err;
  /* accuracy 1 us: the default (250 ms) would delay every MHD_run that
   * MHD asks for at once, e.g. while a body streams in */
  r = sd_event_add_time(d->ev, &l->timer, CLOCK_MONOTONIC, 0, 1, on_timer, l);
  if (r < 0)
    goto err;
  struct listener **v = realloc(d->listeners,
                                (d->n_listeners + 1) * sizeof *v);
  if (!v)
    goto err;
  d->listeners = v;
  d->listeners[d->n_listeners++] = l;
  rearm(l);
  return 0;

err:
  sd_event_source_disable_unref(l->io);
  sd_event_source_disable_unref(l->timer);
  MHD_stop_daemon(l->mhd);
  free(l);
  return -1;
}

static int family_of(int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return -1;
  return ss.ss_family;
}

static int load_tls(struct uchd *d, struct tls_files *t)
{
  size_t len;

  if (!d->cfg.tls_cert)
    return 0;
  if (read_file(d->cfg.tls_cert, &t->cert, &len) < 0) {
    log_error("%s: %m", d->cfg.tls_cert);
    return -1;
  }
  if (read_file(d->cfg.tls_key, &t->key, &len) < 0) {
    log_error("%s: %m", d->cfg.tls_key);
    return -1;
  }
  return 0;
}

/* MHD may keep pointing at the PEM text, so it lives as long as they do. */
static struct tls_files tls;

/* Half the descriptors are for connections, shared by the n listeners
 * (the rest: workers' pidfds, state files, the store, libraries). */
static void conn_max_set(size_t n)
{
  struct rlimit rl;
  rlim_t share = HTTP_CONN_MAX;

  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      n > 0)
    share = rl.rlim_cur / 2 / n;
  conn_max = share < HTTP_CONN_MAX ? (share < 8 ? 8 : share) : HTTP_CONN_MAX;
  log_info("at most %u connections per listener, %u per address on TCP",
           conn_max, HTTP_CONN_PER_IP);
}

int listeners_open(struct uchd *d)
{
  int n = sd_listen_fds(1), r = -1;

  conn_max_set(n > 0 ? (size_t)n : 1 + d->cfg.n_listen);

  if (load_tls(d, &tls) < 0)
    goto out;
  if (n > 0) {
    for (int i = 0; i < n; i++) {
      int fd = SD_LISTEN_FDS_START + i;
      int fam = family_of(fd);
      if (add_listener(d, fd, fam == AF_UNIX, &tls) < 0)
        goto out;
      log_info("listening on socket-activated fd %d (%s)", fd,
               fam == AF_UNIX ? "unix" : "tcp");
    }
    r = 0;
    goto out;
  }
  int fd = unix_socket_open(d->cfg.unix_path);
  if (fd < 0 || add_listener(d, fd, true, &tls) < 0)
    goto out;
  log_info("listening on %s", d->cfg.unix_path);
  for (size_t i = 0; i < d->cfg.n_listen; i++) {
    fd = tcp_socket_open(d->cfg.listen[i]);
    if (fd < 0 || add_listener(d, fd, false, &tls) < 0)
      goto out;
    log_info("listening on %s%s", d->cfg.listen[i], tls.cert ? " (TLS)" : "");
  }
  r = 0;
out:
  return r;
}

void listeners_close(struct uchd *d)
{
  /* MHD stops only with no connection suspended: end the long polls */
  job_wait_notify_all(&d->store);
  for (size_t i = 0; i < d->n_listeners; i++) {
    struct listener *l = d->listeners[i];
    sd_event_source_disable_unref(l->io);
    sd_event_source_disable_unref(l->timer);
    MHD_stop_daemon(l->mhd);
    free(l);
  }
  free(d->listeners);
  free(tls.cert);
  if (tls.key) {
    explicit_bzero(tls.key, strlen(tls.key));
    free(tls.key);
  }
  memset(&tls, 0, sizeof tls);
  d->listeners = NULL;
  d->n_listeners = 0;
}
