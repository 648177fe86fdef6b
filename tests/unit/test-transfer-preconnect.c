/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch_nbd_preconnect: connections opened side by side in the
 * background, handed over in order.  Against nbdkit serving a file:
 * every connection started connects and reads the file; take hands
 * over at most what is asked, end closes the rest; a second take gets
 * nothing.  Against a server that accepts and never speaks: each ends
 * at its stall bound, none is handed over.  Against nobody: none.  A
 * zeroed struct ends without having started anything. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <libnbd.h>

#include "runner/runner.h"
#include "transfer/endpoint.h"
#include "transfer/nbd-connect.h"
#include "util/failure.h"
#include "tap.h"

#define MiB (1024 * 1024)

int main(void)
{
  char dir[] = "/tmp/test-transfer-preconnect.XXXXXX", file[128];
  char sock[64], uri[256], byte = 0;
  struct runner r;
  struct endpoint s = { 0 };
  struct job_failure f;
  struct uch_nbd_preconnect p;
  struct nbd_handle *got[UCH_PRECONNECT_MAX] = { NULL };
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  size_t n;
  int fd;

  if (access("/usr/bin/nbdkit", X_OK) != 0 &&
      access("/usr/sbin/nbdkit", X_OK) != 0) {
    printf("1..0 # SKIP nbdkit not installed\n");
    return 77;
  }
  if (!mkdtemp(dir))
    return 1;
  memset(&r, 0, sizeof r);
  r.rt_dir = dir;
  children_init(&r.kids, -1);

  memset(&p, 0, sizeof p);
  uch_nbd_preconnect_end(&p);
  ok(uch_nbd_preconnect_take(&p, got, 4) == 0,
     "nothing started: nothing handed over, nothing to wait for");

  snprintf(file, sizeof file, "%s/disk", dir);
  fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 8 * MiB) < 0 || pwrite(fd, "U", 1, MiB) != 1)
    return 1;
  close(fd);
  if (path_serve(&r, file, "pc", &s, &f) < 0) {
    printf("Bail out! nbdkit: %s\n", f.message);
    return 1;
  }

  uch_nbd_preconnect_start(&p, s.uri, 3, 5);
  n = uch_nbd_preconnect_take(&p, got, 2);
  is_int((int)n, 2, "3 connections started, 2 asked for: 2 handed over");
  ok(got[0] && got[1] && got[0] != got[1], "two connections of their own");
  for (size_t i = 0; i < n; i++)
    ok(nbd_get_size(got[i]) == 8 * MiB &&
       nbd_pread(got[i], &byte, 1, MiB, 0) == 0 && byte == 'U',
       "connection %zu reads the source", i + 1);
  is_int((int)uch_nbd_preconnect_take(&p, got + 2, 2), 1,
         "a second take: the one left");
  ok(got[2] && nbd_get_size(got[2]) == 8 * MiB, "connected too");
  ok(uch_nbd_preconnect_take(&p, got + 3, 2) == 0, "then none");
  uch_nbd_preconnect_end(&p);
  for (size_t i = 0; i < 3; i++)
    uch_nbd_disconnect(got[i], true);

  uch_nbd_preconnect_start(&p, s.uri, UCH_PRECONNECT_MAX + 4, 5);
  is_int((int)p.n, UCH_PRECONNECT_MAX, "at most UCH_PRECONNECT_MAX started");
  uch_nbd_preconnect_end(&p);
  ok(uch_nbd_preconnect_take(&p, got, UCH_PRECONNECT_MAX) == 0,
     "end closed those not taken");

  /* nobody listening, then a server that accepts and never speaks */
  snprintf(sock, sizeof sock, "%s/mute.sock", dir);
  snprintf(uri, sizeof uri, "nbd+unix:///?socket=%s", sock);
  uch_nbd_preconnect_start(&p, uri, 2, 1);
  ok(uch_nbd_preconnect_take(&p, got, 2) == 0, "nobody listening: none");
  uch_nbd_preconnect_end(&p);
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
      listen(fd, 16) < 0)
    return 1;
  uch_nbd_preconnect_start(&p, uri, 2, 1);
  ok(uch_nbd_preconnect_take(&p, got, 2) == 0,
     "a mute server: none, each ended at its stall bound");
  uch_nbd_preconnect_end(&p);
  close(fd);
  unlink(sock);

  endpoint_stop(&r, &s);
  children_done(&r.kids);
  unlink(file);
  rmdir(dir);
  return tap_done();
}
