/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Export URIs are what libnbd takes as is.  listen_port_wait(): a free
 * port at once; one held by another process, its bound and EADDRINUSE;
 * one freed while it waits, taken when free; a stop ends it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "transfer/export-listen.h"
#include "util/cleanup.h"
#include "util/hostport.h"
#include "util/timeutil.h"
#include "tap.h"

static bool stop_now(void *opaque)
{
  (void)opaque;
  return true;
}

/* a socket listening on 127.0.0.1, its port in port[] */
static int listen_any(char *port, size_t len)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t sl = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
    return -1;
  snprintf(port, len, "%u", ntohs(sa.sin_port));
  return fd;
}

static void port_wait(void)
{
  char port[16];
  unsigned tries;
  double t0;
  int fd = listen_any(port, sizeof port), st;
  pid_t pid;

  if (fd < 0) {
    ok(0, "a port to listen on");
    return;
  }
  t0 = time_monotonic();
  ok(listen_port_wait("127.0.0.1", port, 1, NULL, NULL, &tries) < 0 &&
     errno == EADDRINUSE, "a port held: still taken after its bound");
  t0 = time_monotonic() - t0;
  ok(t0 >= 1 && t0 < 3 && tries > 2,
     "it waited its bound (%.2f s, %u attempts)", t0, tries);
  ok(listen_port_wait("127.0.0.1", port, 30, stop_now, NULL, &tries) < 0 &&
     errno == ECANCELED, "a stop ends the wait");
  close(fd);
  ok(listen_port_wait("127.0.0.1", port, 1, NULL, NULL, &tries) == 0 &&
     tries == 1, "closed: free at once");
  fd = listen_any(port, sizeof port);
  if (fd < 0)
    return;
  if ((pid = fork()) == 0) {
    const struct timespec t = { 0, 600 * 1000000L };
    nanosleep(&t, NULL);
    _exit(0);
  }
  /* the child holds the listening socket too: freed when it exits */
  close(fd);
  t0 = time_monotonic();
  st = listen_port_wait("127.0.0.1", port, 20, NULL, NULL, &tries);
  t0 = time_monotonic() - t0;
  ok(st == 0 && tries > 1 && t0 >= 0.5,
     "held by a process that ends after 0.6 s: free after %.2f s", t0);
  waitpid(pid, &st, 0);
}

int main(void)
{
  _cleanup_free_ char *h = NULL, *p = NULL, *h6 = NULL, *p6 = NULL;
  _cleanup_free_ char *u1 = NULL, *u2 = NULL, *u3 = NULL;
  char *x = NULL, *y = NULL;

  ok(host_port_split("0.0.0.0:10809", &h, &p) == 0, "host:port");
  is_str(h, "0.0.0.0", "host");
  is_str(p, "10809", "port");
  ok(host_port_split("[::1]:10809", &h6, &p6) == 0, "[v6]:port");
  is_str(h6, "::1", "v6 host without brackets");
  ok(host_port_split("nohost", &x, &y) < 0, "no port refused");
  ok(host_port_split(":1", &x, &y) < 0, "empty host refused");

  struct listen_spec u = { .unix_sock = "/run/uch/jobs/j/nbd.sock" };
  is_str(u1 = export_uri(&u, "vm 1"),
         "nbd+unix:///vm%201?socket=/run/uch/jobs/j/nbd.sock", "Unix URI");
  struct listen_spec t = { .host = "0.0.0.0", .port = "10809",
                           .advertise = "uch.example", .username = "uch",
                           .psk_file = "/run/uch/jobs/j/tls.psk" };
  is_str(u2 = export_uri(&t, "disk0"),
         "nbds://uch@uch.example:10809/disk0?tls-psk-file=/run/uch/jobs/j/tls.psk",
         "TLS URI with the advertised host");
  struct listen_spec t6 = { .host = "::1", .port = "10809", .username = "u",
                            .psk_file = "/p" };
  is_str(u3 = export_uri(&t6, "d"), "nbds://u@[::1]:10809/d?tls-psk-file=/p",
         "v6 host in brackets");
  port_wait();
  return tap_done();
}
