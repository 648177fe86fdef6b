/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libnbd.h>

#include "runner/tools.h"
#include "runner/volume-wait.h"
#include "transfer/copy-job.h"
#include "transfer/endpoint.h"
#include "transfer/extents.h"
#include "transfer/incremental.h"
#include "transfer/link-sizing.h"
#include "transfer/nbd-connect.h"
#include "transfer/nbdcopy.h"
#include "transfer/rate-window.h"
#include "transfer/resumable.h"
#include "transfer/tls-priority.h"
#include "transfer/tool-argv.h"
#include "transfer/verify.h"
#include "util/cleanup.h"
#include "util/failure.h"
#include "util/fs.h"
#include "util/timeutil.h"
#include "volumes/volume-open.h"

/* fd number nbdcopy gets its progress pipe on */
#define PROGRESS_FD 3

/* When the server we started failed a connection, its own log line
 * says why (ssh: "failed to connect ..."); libnbd only sees the
 * handshake end. */
static void server_cause(struct runner *r, struct endpoint *s, char *buf,
                         size_t len)
{
  if (!s->ch)
    return;
  for (int i = 0; i < 5; i++)
    children_poll(&r->kids, -1, 20);
  if (s->ch->last_error[0])
    child_describe_failure(s->ch, buf, len);
}

/* The first failed attempt on a source waited for (source_wait_s) is
 * logged: what the server said (refused...), which nbdkit between us
 * and a network source used to log. */
struct wait_log {
  struct runner *r;
  size_t disk;
  unsigned wait_s;
  bool said;
};

static void wait_retrying(void *opaque, const char *why)
{
  struct wait_log *l = opaque;

  if (l->said)
    return;
  l->said = true;
  runner_log(l->r, "disk %zu: the source does not serve yet: %s; trying "
             "again every 0.2 s for up to %u s (source_wait_s)",
             l->disk + 1, why, l->wait_s);
}

/* `what`: the source as the request gives it (an NBD URI), or NULL for
 * the endpoint's URI.  `wait_s` (a copy's source_wait_s: its source's
 * export submitted in the same round, which may not listen yet): the
 * connection is tried again every 0.2 s while it fails, up to wait_s
 * seconds, on the copy's own connections (no connection of its own
 * first: that was one more handshake a copy).  `keep` (not NULL): LINK_CONNS_MIN connections
 * are started at once in `more`, the source is measured on the first to
 * be ready, which is kept there for the copy to read on (NULL when it
 * could not be), and the others connect meanwhile; unless the server
 * does not take several connections (multi-conn): one that takes one
 * at a time (qemu-nbd's default) keeps the others waiting for as long
 * as the first is open, so they are given up.  `rtt_ms` (not NULL): the
 * round trip, probed while the extents are read (one round trip for
 * both). */
static int measure(struct runner *r, size_t i, struct endpoint *src,
                   const char *what, unsigned wait_s, struct extents *e,
                   double *rtt_ms, struct nbd_handle **keep,
                   struct uch_nbd_preconnect *more, struct job_failure *f)
{
  char err[512], cause[512] = "";
  struct wait_log wl = { r, i, wait_s, false };
  struct source_wait w = { .stall_s = stall_timeout_s(),
                           .stop = runner_cancel_requested, .opaque = r,
                           .retrying = wait_retrying, .retry_opaque = &wl };
  struct link_probe probe;
  struct nbd_handle *nbd;
  double since = time_monotonic();
  unsigned tries;
  int ret = -1;

  if (keep && more) {
    nbd = uch_nbd_preconnect_first_within(more, src->uri, LINK_CONNS_MIN,
                                          w.stall_s, wait_s, &w, &tries, err,
                                          sizeof err);
    if (nbd && nbd_can_multi_conn(nbd) != 1)
      uch_nbd_preconnect_stop(more);
  } else {
    nbd = uch_nbd_connect_within(src->uri, NULL, wait_s, &w, &tries, err,
                                 sizeof err);
  }
  if (nbd && tries > 1)
    runner_log(r, "disk %zu: the source served after %.1f s (%u attempts)",
               i + 1, time_monotonic() - since, tries);
  if (!nbd && !w.stopped && wait_s > 0) {
    /* through our nbdkit, its own words say why (refused...): libnbd
     * only sees the handshake end */
    server_cause(r, src, cause, sizeof cause);
    failure_set(f, "source", "%s did not serve within %u s (source_wait_s; "
                "%u attempts); the last one: %s", what ? what : src->uri,
                wait_s, tries, cause[0] ? cause : err);
    return -1;
  }
  if (!nbd && w.stalled) {
    failure_set(f, "timeout", "the source stalled: %s from %s; nothing was "
                "written: submit the same request again", err,
                what ? what : src->uri);
    return -1;
  }
  if (nbd) {
    struct uch_nbd_retry again = { 0 };
    uint64_t size = nbd_get_size(nbd);
    char why[200];

    for (;;) {
      /* across a network, the round trip the copy is sized for */
      bool probing = rtt_ms && link_rtt_probe_start(nbd, &probe) == 0;
      ret = extents_from_nbd(nbd, e, &w, err, sizeof err);
      if (ret == 0 && rtt_ms)
        *rtt_ms = probing ? link_rtt_probe_end(nbd, &probe) : -1;
      /* a network source (rtt_ms), read without nbdkit's reconnect
       * filter, is measured again on a new connection as the copy
       * reads it (uch_nbd_reconnect) */
      if (ret == 0 || w.stopped || w.stalled || !rtt_ms)
        break;
      runner_log(r, "disk %zu: block status failed: %s; connecting again",
                 i + 1, err);
      extents_free(e);
      if (uch_nbd_reconnect(&nbd, src->uri, size, &again, &w, why,
                            sizeof why) < 0) {
        size_t l = strlen(err);
        if (why[0])
          snprintf(err, sizeof err, "%s", why);
        else
          snprintf(err + l, sizeof err - l, " (after %u reconnects)",
                   SOURCE_RETRIES);
        break;
      }
    }
    /* measured, nothing left in flight: kept for the copy or closed
     * politely; else nbd_close() alone, which drops a block status (or
     * a probe) still in flight */
    bool settled = ret == 0 && (!rtt_ms || *rtt_ms != -2);
    if (keep && settled)
      *keep = nbd;
    else
      uch_nbd_disconnect(nbd, settled);
  }
  if (ret == 0)
    return 0;
  if (w.stopped)
    return -1;                /* the cancel is the job's end */
  if (w.stalled) {
    failure_set(f, "timeout", "the source stalled: no answer to block "
                "status (which parts hold data) for %u s (stall_timeout) "
                "from %s; nothing was written: submit the same request "
                "again", w.stall_s, what ? what : src->uri);
    return -1;
  }
  server_cause(r, src, cause, sizeof cause);
  if (cause[0])
    failure_set(f, "source", "%s", cause);
  else
    failure_set(f, "source", "%s: %s", src->uri, err);
  return -1;
}

/* The percent nbdcopy last said, or -1. */
static int read_progress(struct runner *r, size_t disk, int *fd,
                         struct progress_parser *p, const struct extents *e)
{
  char buf[256];
  ssize_t n = read(*fd, buf, sizeof buf);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return -1;
  if (n <= 0) {
    close(*fd);
    *fd = -1;
    return -1;
  }
  int percent = progress_feed(p, buf, n);
  if (percent >= 0)
    runner_disk_progress(r, disk, percent,
                         extents_done_at_percent(e, percent), e->allocated);
  return percent;
}

/* What has reached the destination file: its allocated blocks. */
static long long dest_blocks(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_blocks : -1;
}

/* nbdcopy from src to dst (served from the file dst_path).  A source
 * that stops answering: nbdcopy waits for ever; its percent not moving
 * and nothing new allocated in dst_path for stall_timeout_s() stops it
 * (code timeout).  A percent can take long on a big disk, but data
 * arriving grows the file all the while. */
static int nbdcopy_run(struct runner *r, size_t disk, const char *src,
                       const char *dst, const char *dst_path, bool is_zero,
                       const struct extents *e, const struct link_sizing *sz,
                       struct job_failure *f)
{
  unsigned stall_s = stall_timeout_s();
  long long blocks = dest_blocks(dst_path), b;
  double since = time_monotonic(), now;
  int last = -1, pct;
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *rate_file = runtime_path(r, BANDWIDTH_FILE);
  struct progress_parser parser;
  struct child *ch;
  int pipefd[2];

  if (!rate_file ||
      nbdcopy_argv(&a, PROGRESS_FD, is_zero, rate_file_bits(rate_file) > 0,
                   sz, src, dst) < 0 ||
      pipe2(pipefd, O_CLOEXEC) < 0) {
    failure_set(f, "internal", "nbdcopy: %s", strerror(errno));
    return -1;
  }
  ch = child_spawn(&r->kids, "nbdcopy", &a, pipefd[1]);
  close(pipefd[1]);
  if (!ch) {
    close(pipefd[0]);
    failure_set(f, "tool_failed", "nbdcopy: cannot run: %s", strerror(errno));
    return -1;
  }
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  progress_parser_init(&parser);
  while (pipefd[0] >= 0 && !r->kids.cancelled) {
    int ready = children_poll(&r->kids, pipefd[0], 200);
    pct = ready > 0 ? read_progress(r, disk, &pipefd[0], &parser, e) : -1;
    now = time_monotonic();
    b = dest_blocks(dst_path);
    if ((pct >= 0 && pct != last) || b != blocks) {
      if (pct >= 0)
        last = pct;
      blocks = b;
      since = now;
    } else if (pipefd[0] >= 0 && now - since >= stall_s) {
      close(pipefd[0]);
      child_stop(&r->kids, ch);
      child_release(&r->kids, ch);
      failure_set(f, "timeout", "the source stalled: nothing arrived from "
                  "it for %u s (stall_timeout; source %s); a qcow2 copy "
                  "cannot resume: submit the same request again to copy "
                  "it anew", stall_s, src);
      return -1;
    }
  }
  if (pipefd[0] >= 0)
    close(pipefd[0]);
  return runner_child_finish(r, ch, f, "copy_failed");
}

static json_object *disk_result(const char *path, const char *format,
                                uint64_t bytes, double seconds)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "path", json_object_new_string(path));
  json_object_object_add(o, "format", json_object_new_string(format));
  json_object_object_add(o, "bytes_copied", json_object_new_int64(bytes));
  json_object_object_add(o, "seconds", json_object_new_double(
                           (double)(int64_t)(seconds * 1000) / 1000));
  return o;
}

struct disk_copy {
  struct endpoint src, dst, check;
  struct extents ext;
  bool network;             /* src.uri is the network source itself */
  /* a network source's: the job's rate file, which a warm pass and
   * verify pace their reads by (our nbdkit's rate filter paces the
   * others); else NULL */
  char *rate_file;
  /* a copy across a network: the connections it reads on, all started
   * at once (pre[0] the first ready, the one measured on) */
  struct uch_nbd_preconnect more;
  struct nbd_handle *pre[LINK_CONNS_MIN];
};

static void disk_copy_end(struct runner *r, struct disk_copy *d)
{
  uch_nbd_preconnect_end(&d->more);
  for (size_t i = 0; i < LINK_CONNS_MIN; i++)
    uch_nbd_disconnect(d->pre[i], true);
  endpoint_stop(r, &d->check);
  endpoint_stop(r, &d->dst);
  endpoint_stop(r, &d->src);
  extents_free(&d->ext);
  free(d->rate_file);
}

static int verify_copy(struct runner *r, size_t i, struct disk_copy *d,
                       const char *path, json_object *out,
                       struct job_failure *f)
{
  const char *uri = d->dst.uri;
  char tag[32];
  bool equal = false;

  runner_set_phase(r, "verifying");
  if (!uri) {
    snprintf(tag, sizeof tag, "chk%zu", i);
    if (path_serve(r, path, tag, &d->check, f) < 0)
      return -1;
    uri = d->check.uri;
  }
  if (verify_disk(r, i, d->src.uri, d->network, d->rate_file, uri, &d->ext,
                  &equal, f) < 0)
    return -1;
  json_object_object_add(out, "verified", json_object_new_boolean(equal));
  runner_log(r, "disk %zu: verify: %s", i + 1, equal ? "equal" : f->message);
  return equal ? 0 : -1;
}

/* A network source (read by libnbd directly) gets its copy sized for
 * its link (link-sizing.h): max_conns and max_request are
 * what the copy path can use. */
static bool network_source(const struct rq_source *source)
{
  return source->kind == SOURCE_NBD &&
         (strncmp(source->nbd, "nbd://", 6) == 0 ||
          strncmp(source->nbd, "nbds://", 7) == 0);
}

/* A network source is read by uch-job's libnbd directly, without an
 * nbdkit in between (its nbd plugin, reconnect and rate filters cost
 * 0.45 s of CPU a GiB over TLS and 30 to 60 ms at the start:
 * bench/README.md, item 4): resumable_copy() reconnects and keeps to
 * the bandwidth limit itself.  Over TLS the log says what gnutls in
 * this process may choose (libnbd does not name the cipher it
 * negotiated): uchd gives the worker our GNUTLS_SYSTEM_PRIORITY_FILE
 * where the system has no gnutls configuration of its own. */
static int network_open(struct runner *r, size_t i, const char *uri,
                        struct endpoint *s, struct job_failure *f)
{
  struct nbd_network_source parts;

  /* what docs/api.md allows after '?', no more (libnbd would take
   * more; nothing is dropped silently either way) */
  if (uch_nbd_network_source(uri, &parts) < 0) {
    failure_set(f, "source", "%s: only tls-psk-file and tls-username may "
                "follow '?'", uri);
    return -1;
  }
  nbd_network_source_free(&parts);
  if (!(s->uri = strdup(uri))) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  if (strncmp(uri, "nbds://", 7) == 0) {
    const char *conf = getenv(TLS_PRIORITY_ENV);
    int chacha = tls_priority_allows_chacha20();
    runner_log(r, "disk %zu: read over TLS by libnbd directly; CHACHA20-"
               "POLY1305 %s (%s%s)", i + 1,
               chacha < 0 ? "unknown" : chacha ? "allowed: it may be "
               "negotiated (gnutls computes it without AES-NI)"
               : "disabled: AES-GCM is negotiated",
               conf ? TLS_PRIORITY_ENV "=" : "",
               conf ? conf : "the system's gnutls configuration");
  }
  return 0;
}

static void size_link(struct runner *r, size_t i, const struct rq_link *link,
                      double rtt_ms, unsigned max_conns, uint32_t max_request,
                      struct link_sizing *sz)
{
  _cleanup_free_ char *rate_file = runtime_path(r, BANDWIDTH_FILE);
  bool given = link && link->has_rtt;

  link_sizing_compute(sz, given ? link->rtt_ms : rtt_ms, given,
                      link ? link->bandwidth_bits : 0,
                      rate_file ? rate_file_bits(rate_file) : 0, max_conns,
                      max_request);
  runner_log(r, "disk %zu: link: rtt %.1f ms (%s), %llu bit/s (%s): %u "
             "connections x %u reads of %u KiB", i + 1, sz->rtt_ms,
             given ? "given" : rtt_ms < 0 ? "not measured: as on a LAN"
                                          : "measured",
             (unsigned long long)sz->bits,
             sz->bits_from == BITS_LINK ? "link.bandwidth"
             : sz->bits_from == BITS_LIMIT ? "limits.bandwidth" : "assumed",
             sz->connections, sz->requests, sz->request_size >> 10);
}

int copy_disk(struct runner *r, size_t i, const struct copy_disk_request *disk,
              bool verify, json_object *results, struct copy_disk_done *info,
              struct job_failure *f)
{
  return copy_disk_linked(r, i, disk, NULL, 0, verify, results, info, f);
}

int copy_disk_linked(struct runner *r, size_t i,
                     const struct copy_disk_request *disk,
                     const struct rq_link *link, unsigned source_wait_s,
                     bool verify, json_object *results,
                     struct copy_disk_done *info, struct job_failure *f)
{
  const struct rq_destination *dest = &disk->destination;
  const struct rq_source *source = &disk->source;
  const char *path = dest->path;
  const char *format = dest->format == FORMAT_QCOW2 ? "qcow2" : "raw";
  _cleanup_free_ char *src_dev = NULL, *dst_dev = NULL;
  struct rq_source src_path;
  struct disk_copy d = { 0 };
  struct link_sizing sz;
  bool network = network_source(source), early;
  double rtt_ms = -1;
  json_object *res;
  const char *target;
  uint64_t bytes;
  double start;
  int ret = -1;

  d.network = network;
  if (network && !(d.rate_file = runtime_path(r, BANDWIDTH_FILE))) {
    failure_set(f, "internal", "out of memory");
    goto out;
  }
  runner_set_phase(r, "preparing");
  if (source->kind == SOURCE_VOLUME) {
    if (volume_open(r, &source->volume, false, &src_dev, f) < 0) {
      failure_prefix(f, "disks[%zu].source: ", i);
      goto out;
    }
    src_path = (struct rq_source){ .kind = SOURCE_PATH, .path = src_dev };
    source = &src_path;
  }
  if (dest->volume.id) {
    if (volume_open(r, &dest->volume, true, &dst_dev, f) < 0)
      goto dest_error;
    path = dst_dev;
  }
  if (block_destination_check(path, f) < 0)
    goto dest_error;
  /* across a network, a copy reads on the connection the source was
   * measured on, and on others connected at the same time: at 100 ms
   * each handshake (TCP, TLS, NBD options) is several round trips, and
   * one after the other they left the link idle for seconds a copy
   * (bench/README.md, "Across a WAN") */
  early = network && disk->changes.kind == CHANGES_NONE;
  if ((network ? network_open(r, i, source->nbd, &d.src, f)
               : source_open(r, i, source, &d.src, f)) < 0 ||
      measure(r, i, &d.src, source->kind == SOURCE_NBD ? source->nbd : NULL,
              source->kind == SOURCE_NBD ? source_wait_s : 0, &d.ext,
              network ? &rtt_ms : NULL, early ? &d.pre[0] : NULL,
              early ? &d.more : NULL, f) < 0) {
    failure_prefix(f, "disks[%zu].source: ", i);
    goto out;
  }
  runner_log(r, "disk %zu: %llu bytes, %llu allocated", i + 1,
             (unsigned long long)d.ext.size,
             (unsigned long long)d.ext.allocated);
  runner_disk_progress(r, i, 0, 0, d.ext.allocated);
  if (disk->changes.kind != CHANGES_NONE) {
    /* a warm pass: bitmaps are read from the server that has them, not
     * through nbdkit (which passes on base:allocation only); a network
     * one at the job's bandwidth limit, as the copy reads it */
    const char *uri = source->kind == SOURCE_NBD ? source->nbd : NULL;
    struct pass_result pass;
    runner_set_phase(r, "copying");
    start = time_monotonic();
    if (incremental_pass(r, i, uri ? uri : d.src.uri, &disk->changes, path,
                         disk->through, d.rate_file, &pass, f) < 0) {
      failure_prefix(f, "disks[%zu]: ", i);
      goto out;
    }
    runner_disk_progress(r, i, 100, pass.changed, pass.changed);
    bytes = pass.read;
    res = disk_result(path, "raw", bytes, time_monotonic() - start);
    json_object_object_add(res, "pass", pass_result_json(&pass));
    goto done;
  }
  if (dest->format == FORMAT_QCOW2) {
    if (qcow2_open(r, i, path, d.ext.size, &d.dst, f) < 0)
      goto dest_error;
    target = d.dst.uri;
  } else {
    if (raw_prepare(path, d.ext.size, f) < 0)
      goto dest_error;
    target = path;
  }
  runner_set_phase(r, "copying");
  start = time_monotonic();
  if (dest->format == FORMAT_RAW || network) {
    /* raw: our own copy, which checkpoints, so a rerun resumes; qcow2
     * across a network: the same copy (without checkpoints) into
     * qemu-nbd, for the connections made while the source was
     * measured: nbdcopy made its own, one after the other, each through
     * the source's nbdkit across the link (0.76x to 0.82x of the 0 ms
     * rate at 100 ms; bench/README.md, "Across a WAN").  A new qcow2
     * reads as zeroes. */
    bool qcow2 = dest->format == FORMAT_QCOW2;
    struct resumable_result rr;
    if (network)
      size_link(r, i, link, rtt_ms, qcow2 ? QEMU_NBD_CLIENTS : LINK_CONNS_MAX,
                8u << 20, &sz);
    if (early) {
      size_t n = uch_nbd_preconnect_take(&d.more, &d.pre[1],
                                         LINK_CONNS_MIN - 1) +
                 (d.pre[0] != NULL);
      runner_log(r, "disk %zu: %zu of %d connections connected at once, "
                 "the source measured on the first", i + 1, n,
                 LINK_CONNS_MIN);
    }
    if (resumable_copy(r, i, d.src.uri,
                       source->kind == SOURCE_NBD ? source->nbd : NULL,
                       &d.ext, path,
                       qcow2 ? d.dst.uri : NULL, qcow2 || dest->is_zero,
                       network ? &sz : NULL, d.pre, LINK_CONNS_MIN, &rr,
                       f) < 0) {
      failure_prefix(f, "disks[%zu]: ", i);
      goto out;
    }
    bytes = rr.copied;
    res = disk_result(path, format, bytes, time_monotonic() - start);
    if (rr.resumed_from)
      json_object_object_add(res, "resumed_from",
                             json_object_new_int64((int64_t)rr.resumed_from));
    if (network)
      json_object_object_add(res, "sizing", link_sizing_json(&sz));
    goto done;
  }
  /* qcow2 from a local source: nbdcopy into qemu-nbd */
  if (nbdcopy_run(r, i, d.src.uri, target, path, dest->is_zero, &d.ext,
                  NULL, f) < 0) {
    failure_prefix(f, "disks[%zu]: ", i);
    goto out;
  }
  runner_disk_progress(r, i, 100, d.ext.allocated, d.ext.allocated);
  bytes = d.ext.allocated;
  res = disk_result(path, format, bytes, time_monotonic() - start);
done:
  json_object_array_add(results, res);
  runner_write_state(r);
  if (verify && verify_copy(r, i, &d, path, res, f) < 0) {
    failure_prefix(f, "disks[%zu]: ", i);
    goto out;
  }
  if (info) {
    info->bytes_copied = bytes;
    free(info->path);
    if (!(info->path = strdup(path))) {
      failure_set(f, "internal", "out of memory");
      goto out;
    }
  }
  ret = 0;
  goto out;

dest_error:
  failure_prefix(f, "disks[%zu].destination: ", i);
out:
  disk_copy_end(r, &d);
  return ret;
}

/* The request's limit, unless PATCH /v1/jobs/{id} already set one. */
int bandwidth_start(struct runner *r, const struct rq_limits *limits,
                    struct job_failure *f)
{
  const char *bw = limits->bandwidth;
  _cleanup_free_ char *file = runtime_path(r, BANDWIDTH_FILE);

  if (!bw || !file || access(file, F_OK) == 0)
    return 0;
  if (write_file_atomic(file, bw, strlen(bw), 0600) < 0) {
    failure_set(f, "internal", "%s: %s", file, strerror(errno));
    return -1;
  }
  runner_log(r, "bandwidth limit %s bits/s", bw);
  return 0;
}

int copy_job_run(struct runner *r, const struct job_request *req,
                 json_object *result, struct job_failure *f)
{
  const struct copy_request *copy = &req->u.copy;
  json_object *results = json_object_new_array();

  json_object_object_add(result, "disks", results);
  if (bandwidth_start(r, &copy->limits, f) < 0)
    return -1;
  for (size_t i = 0; i < copy->n_disks; i++) {
    /* source_wait_s: a copy handed to uchd in the same round as its
     * source's export (a wave's batch) may start before the export
     * listens, or while another export still holds the port (one
     * waiting out its idle time): its own connections are tried again
     * until the source serves (measure) */
    if (copy_disk_linked(r, i, &copy->disks[i], &copy->link,
                         (unsigned)copy->source_wait_s, copy->verify,
                         results, NULL, f) < 0)
      return -1;
    if (r->kids.cancelled)
      return -1;
  }
  return 0;
}
