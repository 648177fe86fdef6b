/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch_nbd_connect() bounded by a source_wait: a Unix socket that takes
 * connections (the kernel queues them) and never speaks is a stall
 * after stall_s, naming it; a stop ends the wait as a cancel does; a
 * socket nobody listens on is libnbd's error at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "transfer/extents.h"
#include "transfer/nbd-connect.h"
#include "tap.h"

static bool stop_now(void *opaque)
{
  (void)opaque;
  return true;
}

int main(void)
{
  char dir[] = "/tmp/test-transfer-connect.XXXXXX", sock[64], uri[256];
  char err[256] = "";
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct source_wait w = { .stall_s = 1 };
  struct nbd_handle *nbd;
  int fd;

  if (!mkdtemp(dir))
    return 1;
  snprintf(sock, sizeof sock, "%s/mute.sock", dir);
  snprintf(uri, sizeof uri, "nbd+unix:///?socket=%s", sock);
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);

  /* nobody listening: refused at once, libnbd's words */
  nbd = uch_nbd_connect(uri, NULL, &w, err, sizeof err);
  ok(!nbd && !w.stalled && !w.stopped && err[0],
     "no server: an error (%s)", err);

  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(fd, 16) < 0)
    return 1;
  nbd = uch_nbd_connect(uri, NULL, &w, err, sizeof err);
  ok(!nbd && w.stalled && !w.stopped, "a mute server: a stall");
  is_str(err, "no answer while connecting (TCP connect, TLS or NBD "
         "handshake) for 1 s (stall_timeout)", "the stall named");

  w = (struct source_wait){ .stall_s = 0, .stop = stop_now };
  nbd = uch_nbd_connect(uri, NULL, &w, err, sizeof err);
  ok(!nbd && w.stopped && !w.stalled, "a stop ends a wait without bound");
  is_str(err, "cancelled", "and says so");

  close(fd);
  unlink(sock);
  rmdir(dir);
  return tap_done();
}
