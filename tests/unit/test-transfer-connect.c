/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch_nbd_connect() bounded by a source_wait: a Unix socket that takes
 * connections (the kernel queues them) and never speaks is a stall
 * after stall_s, naming it; a stop ends the wait as a cancel does; a
 * socket nobody listens on is libnbd's error at once.
 * uch_nbd_connect_within(): nobody listening, it tries again until its
 * bound and fails with libnbd's last words; nbdkit that starts
 * listening after the first attempts is waited for and its connection
 * handed over; a stop ends it; a bound of 0 is one attempt. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include "transfer/extents.h"
#include "transfer/nbd-connect.h"
#include "util/timeutil.h"
#include "tap.h"

static bool stop_now(void *opaque)
{
  (void)opaque;
  return true;
}

static bool stop_later(void *opaque)
{
  int *calls = opaque;
  return ++*calls > 2;
}

/* nbdkit serving `file` on `sock`, started after 0.7 s */
static pid_t nbdkit_later(const char *sock, const char *file)
{
  pid_t pid = fork();

  if (pid == 0) {
    const struct timespec t = { 0, 700 * 1000000L };
    int null = open("/dev/null", O_WRONLY);
    nanosleep(&t, NULL);
    if (null >= 0)
      dup2(null, 2);
    execlp("nbdkit", "nbdkit", "-f", "-r", "-U", sock, "file", file,
           (char *)NULL);
    _exit(127);
  }
  return pid;
}

static void wait_serving(const char *dir)
{
  char sock[128], uri[256], file[128], err[256] = "";
  struct source_wait w = { .stall_s = 2 };
  struct nbd_handle *nbd;
  unsigned tries;
  double t0;
  int calls = 0, fd, st;
  pid_t pid;

  snprintf(sock, sizeof sock, "%s/late.sock", dir);
  snprintf(file, sizeof file, "%s/disk", dir);
  snprintf(uri, sizeof uri, "nbd+unix:///?socket=%s", sock);

  t0 = time_monotonic();
  ok(!uch_nbd_connect_within(uri, NULL, 1, &w, &tries, err, sizeof err) &&
     !w.stopped, "nobody listening: not served within 1 s");
  ok(time_monotonic() - t0 >= 1 && time_monotonic() - t0 < 3,
     "it waited its bound, no more (%.2f s)", time_monotonic() - t0);
  ok(tries > 2 && err[0], "%u attempts, the last error said (%s)", tries,
     err);
  ok(!uch_nbd_connect_within(uri, NULL, 0, &w, &tries, err, sizeof err) &&
     tries == 1, "a bound of 0: one attempt");
  w.stop = stop_later;
  w.opaque = &calls;
  ok(!uch_nbd_connect_within(uri, NULL, 30, &w, &tries, err, sizeof err) &&
     w.stopped, "a stop ends the wait");
  is_str(err, "cancelled", "and says so");

  if (access("/usr/bin/nbdkit", X_OK) != 0 &&
      access("/usr/sbin/nbdkit", X_OK) != 0) {
    ok(1, "# SKIP nbdkit not installed");
    return;
  }
  fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
    return;
  close(fd);
  w = (struct source_wait){ .stall_s = 2 };
  t0 = time_monotonic();
  pid = nbdkit_later(sock, file);
  nbd = uch_nbd_connect_within(uri, NULL, 20, &w, &tries, err, sizeof err);
  ok(nbd != NULL, "nbdkit listening after 0.7 s: waited for");
  ok(tries > 1 && time_monotonic() - t0 >= 0.7,
     "after %u attempts, %.2f s", tries, time_monotonic() - t0);
  ok(nbd && nbd_get_size(nbd) == 1 << 20,
     "the connection that served handed over, reading the source");
  uch_nbd_disconnect(nbd, true);
  kill(pid, SIGTERM);
  waitpid(pid, &st, 0);
  unlink(file);
  unlink(sock);
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
  wait_serving(dir);
  rmdir(dir);
  return tap_done();
}
