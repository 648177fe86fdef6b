/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch_nbd_preconnect: connections opened side by side in the
 * background, handed over in order.  Against nbdkit serving a file:
 * every connection started connects and reads the file; take hands
 * over at most what is asked, end closes the rest; a second take gets
 * nothing.  Against a server that accepts and never speaks: each ends
 * at its stall bound, none is handed over.  Against nobody: none.  A
 * zeroed struct ends without having started anything.
 * uch_nbd_preconnect_first: the first ready handed over, the others
 * taken after it; none ready: the first's words, its stall, or a stop;
 * against a server of one connection at a time (qemu-nbd -e 1) the
 * first comes while the others wait, and once stopped they are not
 * taken and end() does not wait their stall bound.
 * uch_nbd_preconnect_first_within: nobody listening, every attempt's
 * connections fail and it tries again until its bound; a bound of 0 is
 * one attempt; nbdkit that listens after 0.7 s: the first of an
 * attempt's connections handed over, the others of that attempt taken
 * after it; a stop ends the wait.
 * link_rtt_probe_start/end: the probes travel with a block status (a
 * server delaying both by 300 ms: the round trip >= 300 ms, and both
 * in well under twice it). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libnbd.h>

#include "runner/runner.h"
#include "transfer/endpoint.h"
#include "transfer/link-sizing.h"
#include "transfer/nbd-connect.h"
#include "util/failure.h"
#include "util/timeutil.h"
#include "tap.h"

#define MiB (1024 * 1024)

static bool stop_now(void *opaque)
{
  (void)opaque;
  return true;
}

/* a server of ours on dir/NAME.sock: nbdkit or qemu-nbd, argv after
 * the tool's name; its pid file waited for */
static struct child *server(struct runner *r, const char *tool,
                            const char *const *args, const char *pidfile)
{
  struct argv a = { 0 };
  struct child *ch;

  if (argv_add(&a, tool) < 0 || argv_addv(&a, args) < 0)
    return NULL;
  ch = child_spawn(&r->kids, tool, &a, -1);
  argv_free(&a);
  for (int i = 0; ch && i < 100 && access(pidfile, F_OK) != 0; i++)
    usleep(100 * 1000);
  return ch;
}

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

  /* first: the first ready, then the others in order after it */
  {
    struct source_wait w = { 0 };
    char err[256] = "";
    struct nbd_handle *first;

    uch_nbd_preconnect_start(&p, s.uri, 3, 5);
    first = uch_nbd_preconnect_first(&p, &w, err, sizeof err);
    ok(first && nbd_get_size(first) == 8 * MiB, "first: one connected");
    n = uch_nbd_preconnect_take(&p, got, 3);
    is_int((int)n, 2, "then take: the other two");
    ok(got[0] != first && got[1] != first, "not the first again");
    uch_nbd_preconnect_end(&p);
    uch_nbd_disconnect(first, true);
    for (size_t i = 0; i < n; i++)
      uch_nbd_disconnect(got[i], true);
  }

  /* the probes travel with the extents: one round trip for both */
  {
    char dsock[128], dpid[128], duri[256], err[256];
    const char *args[] = { "-f", "-U", dsock, "-P", dpid, "--filter=delay",
                           "memory", "8M", "delay-read=300ms",
                           "delay-extents=300ms", NULL };
    struct child *ch;
    struct nbd_handle *nbd;
    struct link_probe probe;
    struct extents e = { 0 };
    double t, ms;

    snprintf(dsock, sizeof dsock, "%s/delay.sock", dir);
    snprintf(dpid, sizeof dpid, "%s/delay.pid", dir);
    snprintf(duri, sizeof duri, "nbd+unix:///?socket=%s", dsock);
    ch = server(&r, "nbdkit", args, dpid);
    nbd = ch ? uch_nbd_connect(duri, NULL, NULL, err, sizeof err) : NULL;
    ok(nbd != NULL, "nbdkit delaying reads and extents by 300 ms");
    if (nbd) {
      t = time_monotonic();
      ok(link_rtt_probe_start(nbd, &probe) == 0, "probes sent");
      ok(extents_from_nbd(nbd, &e, NULL, err, sizeof err) == 0 &&
         e.size == 8 * MiB, "the extents read meanwhile");
      ms = link_rtt_probe_end(nbd, &probe);
      t = (time_monotonic() - t) * 1000;
      ok(ms >= 300 && ms < 3000, "the round trip: %.0f ms >= 300", ms);
      ok(t < 550, "probes and extents together in %.0f ms (one after the "
         "other: >= 600)", t);
      ms = link_rtt_probe(nbd);
      ok(ms >= 300, "link_rtt_probe alone: %.0f ms", ms);
      uch_nbd_disconnect(nbd, true);
      extents_free(&e);
    }
    if (ch) {
      child_stop(&r.kids, ch);
      child_release(&r.kids, ch);
    }
  }

  /* a server of one connection at a time: the first comes, the others
   * wait behind it; stopped, they are not taken and end does not wait
   * for their stall bound */
  if (access("/usr/bin/qemu-nbd", X_OK) == 0) {
    char qsock[128], qpid[128], quri[256], err[256] = "";
    const char *args[] = { "-r", "-t", "-e", "1", "-f", "raw", "-k", qsock,
                           "--pid-file", qpid, file, NULL };
    struct source_wait w = { 0 };
    struct nbd_handle *first;
    struct child *ch;
    double t;

    snprintf(qsock, sizeof qsock, "%s/one.sock", dir);
    snprintf(qpid, sizeof qpid, "%s/one.pid", dir);
    snprintf(quri, sizeof quri, "nbd+unix:///?socket=%s", qsock);
    ch = server(&r, "qemu-nbd", args, qpid);
    ok(ch != NULL, "qemu-nbd -e 1");
    t = time_monotonic();
    uch_nbd_preconnect_start(&p, quri, 3, 30);
    first = uch_nbd_preconnect_first(&p, &w, err, sizeof err);
    ok(first && nbd_pread(first, &byte, 1, MiB, 0) == 0 && byte == 'U',
       "first: the one served, reading the source");
    ok(first && nbd_can_multi_conn(first) != 1, "no multi-conn said");
    uch_nbd_preconnect_stop(&p);
    ok(uch_nbd_preconnect_take(&p, got, 2) == 0, "stopped: none taken");
    uch_nbd_preconnect_end(&p);
    t = time_monotonic() - t;
    ok(t < 10, "end did not wait their 30 s stall bound (%.1f s)", t);
    uch_nbd_disconnect(first, true);
    if (ch) {
      child_stop(&r.kids, ch);
      child_release(&r.kids, ch);
    }
  } else {
    printf("# qemu-nbd not installed: one connection at a time not tried\n");
  }

  /* none ready: nobody, a mute server (stall), a stop */
  {
    struct source_wait w = { 0 };
    char err[256] = "";

    unlink(sock);
    uch_nbd_preconnect_start(&p, uri, 2, 1);
    ok(!uch_nbd_preconnect_first(&p, &w, err, sizeof err) && err[0] &&
       !w.stalled && !w.stopped, "first, nobody listening: NULL (%s)", err);
    uch_nbd_preconnect_end(&p);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(fd, 16) < 0)
      return 1;
    uch_nbd_preconnect_start(&p, uri, 2, 1);
    ok(!uch_nbd_preconnect_first(&p, &w, err, sizeof err) && w.stalled,
       "first, a mute server: NULL, stalled");
    is_str(err, "no answer while connecting (TCP connect, TLS or NBD "
           "handshake) for 1 s (stall_timeout)", "the stall named");
    uch_nbd_preconnect_end(&p);
    w = (struct source_wait){ .stop = stop_now };
    uch_nbd_preconnect_start(&p, uri, 2, 30);
    ok(!uch_nbd_preconnect_first(&p, &w, err, sizeof err) && w.stopped &&
       strcmp(err, "cancelled") == 0, "first, stopped: NULL, cancelled");
    uch_nbd_preconnect_end(&p);
    close(fd);
    unlink(sock);
  }

  /* the wait for a source that does not serve yet */
  {
    char lsock[128], luri[256], err[256] = "";
    struct source_wait w = { 0 };
    struct nbd_handle *first;
    unsigned tries;
    pid_t pid;
    double t;

    snprintf(lsock, sizeof lsock, "%s/late.sock", dir);
    snprintf(luri, sizeof luri, "nbd+unix:///?socket=%s", lsock);
    t = time_monotonic();
    first = uch_nbd_preconnect_first_within(&p, luri, 3, 5, 1, &w, &tries,
                                            err, sizeof err);
    t = time_monotonic() - t;
    ok(!first && !w.stopped && err[0] && tries > 2,
       "nobody listening: none within 1 s, %u attempts (%s)", tries, err);
    ok(t >= 1 && t < 3, "it waited its bound, no more (%.2f s)", t);
    uch_nbd_preconnect_end(&p);
    ok(!uch_nbd_preconnect_first_within(&p, luri, 3, 5, 0, &w, &tries, err,
                                        sizeof err) && tries == 1,
       "a bound of 0: one attempt");
    uch_nbd_preconnect_end(&p);
    w = (struct source_wait){ .stop = stop_now };
    ok(!uch_nbd_preconnect_first_within(&p, luri, 3, 5, 30, &w, &tries, err,
                                        sizeof err) && w.stopped &&
       strcmp(err, "cancelled") == 0, "a stop ends the wait");
    uch_nbd_preconnect_end(&p);

    /* nbdkit listening 0.7 s from now */
    pid = fork();
    if (pid == 0) {
      const struct timespec pause = { 0, 700 * 1000000L };
      int null = open("/dev/null", O_WRONLY);
      nanosleep(&pause, NULL);
      if (null >= 0)
        dup2(null, 2);
      execlp("nbdkit", "nbdkit", "-f", "-r", "-U", lsock, "file", file,
             (char *)NULL);
      _exit(127);
    }
    w = (struct source_wait){ 0 };
    t = time_monotonic();
    first = uch_nbd_preconnect_first_within(&p, luri, 3, 5, 20, &w, &tries,
                                            err, sizeof err);
    t = time_monotonic() - t;
    ok(first && nbd_pread(first, &byte, 1, MiB, 0) == 0 && byte == 'U',
       "nbdkit listening after 0.7 s: the first connection handed over, "
       "reading the source");
    ok(tries > 1 && t >= 0.7, "after %u attempts, %.2f s", tries, t);
    n = uch_nbd_preconnect_take(&p, got, 3);
    is_int((int)n, 2, "then take: the other two of that attempt");
    uch_nbd_preconnect_end(&p);
    uch_nbd_disconnect(first, true);
    for (size_t i = 0; i < n; i++)
      uch_nbd_disconnect(got[i], true);
    /* SIGKILL: this process blocks SIGTERM (children_init), and the
     * child inherited that */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(lsock);
  }

  endpoint_stop(&r, &s);
  children_done(&r.kids);
  unlink(file);
  rmdir(dir);
  return tap_done();
}
