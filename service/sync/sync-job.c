/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/inplace-job.h"
#include "jobs/request.h"
#include "jobs/sync_request.h"
#include "sync/predict.h"
#include "sync/snapshot.h"
#include "sync/sync-job.h"
#include "transfer/copy-job.h"
#include "transfer/pass-verify.h"
#include "transfer/resumable.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"

struct sync_job {
  struct runner *r;
  const struct sync_request *req;
  json_object *result;
  json_object *passes;      /* result.passes */
  int ino_fd;               /* inotify on RUNTIME/jobs/ID/requests */
  double next_due;          /* monotonic time of the next interval pass */
  /* what the last pass wrote and copied, disk by disk */
  struct copy_disk_done done[REQUEST_MAX_DISKS];
  /* each pass's start, time and bytes, for the prediction */
  struct pass_fact *facts;
  size_t n_facts;
  double conversion_s;      /* the last good rehearsal's, -1: none */
  double predicted_s;       /* result.prediction.cutover_seconds, -1 */
  /* while a rehearsal runs: the destinations' snapshot it reads (the
   * passes meanwhile write through it), a rehearsal asked for by one of
   * those passes, a cutover request taken then (it runs once the
   * rehearsal stopped), and the failure of such a pass */
  struct dest_snapshot snap;
  bool rehearse_again;
  json_object *held;
  bool pass_failed;
  struct job_failure pass_f;
  double cutover_start;     /* when the cutover pass started */
};

/* A copy request's disk for this pass: the job's source and
 * destination, and for an incremental pass what changed (`asked`, the
 * pass body's disk, NULL for an interval pass: the source's bitmap).
 * *marker: what the pass brings the destination up to (the
 * orchestrator's change id or the bitmap's name), or NULL. */
static void pass_disk(const struct copy_disk_request *job_disk,
                      const struct sync_pass_disk *asked, bool full,
                      struct copy_disk_request *out, const char **marker)
{
  *out = *job_disk;
  out->changes = (struct rq_changes){ .kind = CHANGES_NONE };
  *marker = asked ? asked->change_id : NULL;
  if (!full)
    out->changes = asked ? asked->changes
                         : (struct rq_changes){
                             .kind = CHANGES_BITMAP,
                             .bitmap = job_disk->source.bitmap };
  if (!*marker)
    *marker = out->changes.kind == CHANGES_BITMAP ? out->changes.bitmap
            : full ? job_disk->source.bitmap : NULL;
}

/* A verified pass (issue 19 item 3, transfer/pass-verify.c): before
 * the pass writes disk i (res NULL), the source appliance's digest its
 * body gave must cover what it will write; after (res its result), the
 * disk it wrote and flushed is compared with that digest.  Nothing
 * asked, nothing done. */
static int verify_pass_disk(struct sync_job *sj, size_t i,
                            const struct sync_pass *asked, json_object *res,
                            struct job_failure *f)
{
  const struct sync_pass_disk *d = asked ? &asked->disks[i] : NULL;

  if (!d || d->verify.n == 0)
    return 0;
  if (!res)
    return pass_verify_check(i, sj->done[i].path, &d->changes, &d->verify,
                             f);
  return pass_verify(sj->r, i, sj->done[i].path, &d->changes, &d->verify,
                     res, f);
}

/* A verified pass whose digest is posted (issue 19 item 3): pass 1 of
 * a request with "verify", a pass whose body has "verify": true for
 * the disk. */
static bool verify_posted_disk(const struct sync_job *sj, bool full,
                               const struct sync_pass *asked, size_t i)
{
  return full ? sj->req->verify : asked && asked->disks[i].verify_posted;
}

/* Waits in phase "verifying" for the digest posted to
 * /v1/jobs/ID/digest (requests/digest.json, which may have come while
 * the pass copied): the file, taken, or NULL on a cancel. */
static json_object *wait_for_digest(struct sync_job *sj)
{
  struct runner *r = sj->r;
  char buf[4096];

  runner_set_phase(r, "verifying");
  while (!r->kids.cancelled) {
    json_object *o = sync_request_take_digest(r->rt_dir);
    if (o)
      return o;
    if (errno != ENOENT)
      runner_log(r, "a posted digest was unreadable, dropped");
    if (children_poll(&r->kids, sj->ino_fd, -1) > 0)
      while (read(sj->ino_fd, buf, sizeof buf) > 0)
        ;
  }
  return NULL;
}

static void own_digests_free(struct pass_own_digest (*own)[REQUEST_MAX_DISKS])
{
  for (size_t i = 0; i < REQUEST_MAX_DISKS; i++)
    pass_own_digest_free(&(*own)[i]);
}

/* After every disk of the pass is flushed, the disks whose digest is
 * posted: the destination digests what the pass wrote at once (the
 * source appliance's digest job runs meanwhile), then the pass waits
 * for that digest and compares (transfer/pass-verify.h). */
static int verify_posted(struct sync_job *sj, bool full,
                         const struct sync_pass *asked, json_object *results,
                         struct job_failure *f)
{
  struct runner *r = sj->r;
  _cleanup_(own_digests_free) struct pass_own_digest own[REQUEST_MAX_DISKS]
    = { 0 };
  _cleanup_json_ json_object *file = NULL;
  _cleanup_(pass_digest_freep) struct pass_digest *posted = NULL;
  struct uch_error err = { 0 };
  size_t n = sj->req->n_disks, waiting = 0;
  double t0, waited;

  for (size_t i = 0; i < n; i++) {
    if (!verify_posted_disk(sj, full, asked, i))
      continue;
    if (pass_own_digest(r, i, sj->done[i].path,
                        asked ? &asked->disks[i].changes : NULL, &own[i],
                        f) < 0)
      return -1;
    waiting++;
  }
  if (waiting == 0)
    return 0;
  t0 = time_monotonic();
  runner_log(r, "waiting for the source's digest (POST /v1/jobs/%s/digest)",
             r->id);
  if (!(file = wait_for_digest(sj)))
    return -1;
  waited = time_monotonic() - t0;
  if (request_pass_digest(json_get(file, "body"), sj->req, &posted,
                          &err) < 0) {
    failure_set(f, "verify_failed", "the posted digest: %s: %s", err.field,
                err.message);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (!verify_posted_disk(sj, full, asked, i))
      continue;
    if (posted->disks[i].n == 0) {
      failure_set(f, "verify_failed", "disks[%zu]: the posted digest has "
                  "none for this disk, whose pass was to be verified", i);
      return -1;
    }
    if (pass_verify_posted(r, i, sj->done[i].path, &own[i],
                           &posted->disks[i], waited,
                           json_object_array_get_idx(results, i), f) < 0)
      return -1;
  }
  return 0;
}

/* One pass over every disk.  `asked` is the request's body (NULL for
 * the first pass and for interval passes). */
static int run_pass(struct sync_job *sj, bool full, const char *trigger,
                    const struct sync_pass *asked, struct job_failure *f)
{
  struct runner *r = sj->r;
  size_t n = sj->req->n_disks;
  _cleanup_json_ json_object *results = json_object_new_array();
  json_object *pass;
  char started[RFC3339_LEN];
  double start = time_monotonic();
  int64_t bytes = 0;

  time_rfc3339_now(started);
  runner_log(r, "pass %zu (%s, %s)", json_object_array_length(sj->passes) + 1,
             full ? "full" : "incremental", trigger);
  for (size_t i = 0; i < n; i++) {
    const char *marker = NULL;
    struct copy_disk_request d;
    json_object *res;
    pass_disk(&sj->req->disks[i], asked ? &asked->disks[i] : NULL, full, &d,
              &marker);
    d.through = sj->snap.qsd ? sj->snap.write_uri[i] : NULL;
    if (verify_pass_disk(sj, i, asked, NULL, f) < 0)
      return -1;
    if (copy_disk(r, i, &d, false, results, &sj->done[i], f) < 0 ||
        r->kids.cancelled)
      return -1;
    /* copy_disk returned after the destination was flushed (nbdcopy
     * --flush, fdatasync): only now may the marker move */
    res = json_object_array_get_idx(results, i);
    if (verify_pass_disk(sj, i, asked, res, f) < 0)
      return -1;
    bytes += (int64_t)sj->done[i].bytes_copied;
    if (marker)
      json_object_object_add(res, "marker", json_object_new_string(marker));
  }
  if (verify_posted(sj, full, asked, results, f) < 0)
    return -1;
  pass = json_object_new_object();
  json_object_object_add(pass, "kind",
                         json_object_new_string(full ? "full" : "incremental"));
  json_object_object_add(pass, "trigger", json_object_new_string(trigger));
  json_object_object_add(pass, "started_at", json_object_new_string(started));
  json_object_object_add(pass, "seconds", json_object_new_double(
    (double)(int64_t)((time_monotonic() - start) * 1000) / 1000));
  json_object_object_add(pass, "bytes", json_object_new_int64(bytes));
  json_object_object_add(pass, "disks", json_object_get(results));
  json_object_array_add(sj->passes, pass);
  json_object_object_add(sj->result, "disks", json_object_get(results));
  runner_log(r, "pass %zu done: %lld bytes",
             json_object_array_length(sj->passes), (long long)bytes);
  sj->next_due = time_monotonic() + (double)sj->req->interval_s;
  return runner_write_state(r);
}

/* Waits in phase "waiting" for a request (returns it), the next
 * interval pass (returns an empty object) or a cancel (NULL). */
static json_object *wait_for_pass(struct sync_job *sj)
{
  struct runner *r = sj->r;
  char buf[4096];

  runner_set_phase(r, "waiting");
  while (!r->kids.cancelled) {
    json_object *req = sync_request_take(r->rt_dir);
    int timeout = -1;
    if (req)
      return req;
    if (errno != ENOENT)
      runner_log(r, "a pass request was unreadable, dropped");
    if (sj->req->interval_s > 0) {
      double left = sj->next_due - time_monotonic();
      if (left <= 0)
        return json_object_new_object();
      timeout = (int)(left * 1000) + 1;
    }
    if (children_poll(&r->kids, sj->ino_fd, timeout) > 0)
      while (read(sj->ino_fd, buf, sizeof buf) > 0)
        ;
  }
  return NULL;
}

static int watch_requests(struct sync_job *sj, struct job_failure *f)
{
  _cleanup_free_ char *dir = sync_request_dir(sj->r->rt_dir);

  if (!dir || (mkdir(dir, 0700) < 0 && errno != EEXIST) ||
      (sj->ino_fd = fs_watch_new_files(dir)) < 0) {
    failure_set(f, "internal", "%s: %s", dir ? dir : "requests",
                strerror(errno));
    return -1;
  }
  return 0;
}

/* Pass 1's checkpoints say what the destination held of a source that
 * has changed since: a restarted job copies in full again (resuming
 * only a pass 1 that was cut short), later passes catch up from there. */
static void forget_checkpoints(struct runner *r, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *p = checkpoint_path(r, i);
    if (p)
      unlink(p);
  }
}

/* The guest as the sync request describes it, on the destinations the
 * passes wrote (a volume's device), raw. */
static void inplace_of_destinations(const struct sync_job *sj,
                                    const struct rq_inplace_guest *guest,
                                    struct inplace_request *req)
{
  req->guest = *guest;
  req->n_disks = sj->req->n_disks;
  for (size_t i = 0; i < req->n_disks; i++)
    req->disks[i] = (struct rq_inplace_disk){ .path = sj->done[i].path,
                                              .format = FORMAT_RAW };
}

/* result.prediction: the cutover as the passes so far and the last
 * rehearsal reckon it (sync/predict.c). */
static void predict(struct sync_job *sj)
{
  struct prediction p;
  json_object *o = json_object_new_object();

  sync_predict(sj->facts, sj->n_facts, (double)sj->req->interval_s,
               sj->conversion_s, &p);
#define SECONDS(x) json_object_new_double((double)(int64_t)((x) * 1000) / 1000)
  if (p.known) {
    json_object_object_add(o, "cutover_seconds", SECONDS(p.cutover_s));
    json_object_object_add(o, "copy_seconds", SECONDS(p.copy_s));
    json_object_object_add(o, "conversion_seconds", p.conversion_s >= 0
                           ? SECONDS(p.conversion_s) : NULL);
    json_object_object_add(o, "bytes", json_object_new_int64(p.bytes));
    json_object_object_add(o, "change_rate_bytes_per_second",
                           json_object_new_int64((int64_t)p.change_rate));
    json_object_object_add(o, "throughput_bytes_per_second",
                           json_object_new_int64((int64_t)p.throughput));
    json_object_object_add(o, "pass_overhead_seconds",
                           SECONDS(p.overhead_s));
    json_object_object_add(o, "gap_seconds", SECONDS(p.gap_s));
  } else
    json_object_object_add(o, "cutover_seconds", NULL);
#undef SECONDS
  json_object_object_add(o, "how", json_object_new_string(p.how));
  json_object_object_add(o, "after_pass",
                         json_object_new_int64((int64_t)sj->n_facts));
  sj->predicted_s = p.known ? p.cutover_s : -1;
  json_object_object_add(sj->result, "prediction", o);
}

static int pass_asked(struct sync_job *sj, json_object *pass,
                      enum pass_trigger *trigger, struct job_failure *f);

/* Asked about four times a second while a rehearsal runs
 * (v2v_run_until's struct v2v_stop).  A pass asked for (or due)
 * meanwhile runs now, writing the destinations through the snapshot
 * the rehearsal reads (sync/snapshot.h): it waits for no more than the
 * copies of the clusters it overwrites.  A cutover stops the
 * rehearsal: the guest is down by then, and its downtime must not
 * include a rehearsal; so does a pass that fails (the job's failure). */
static bool during_rehearsal(void *arg, char *why, size_t len)
{
  struct sync_job *sj = arg;
  struct runner *r = sj->r;
  json_object *req;
  enum pass_trigger trigger;
  char phase[64];
  int ret;

  /* no snapshot (no qemu-storage-daemon): passes wait, as before it */
  if (!sj->held && !sync_request_cutover_waiting(r->rt_dir) &&
      !sj->snap.qsd)
    return false;
  if (!sj->held && !sync_request_cutover_waiting(r->rt_dir)) {
    if (!(req = sync_request_take(r->rt_dir))) {
      if (errno != ENOENT)
        runner_log(r, "a pass request was unreadable, dropped");
      if (sj->req->interval_s <= 0 || time_monotonic() < sj->next_due)
        return false;
      req = json_object_new_object();
    }
    if (!json_get_string(req, "action") ||
        strcmp(json_get_string(req, "action"), "cutover") != 0) {
      snprintf(phase, sizeof phase, "%s", json_get_string(r->doc, "phase")
               ? json_get_string(r->doc, "phase") : "rehearsing");
      runner_log(r, "a pass during the rehearsal: it writes through the "
                 "snapshot the rehearsal reads");
      ret = pass_asked(sj, req, &trigger, &sj->pass_f);
      json_object_put(req);
      if (ret < 0) {
        sj->pass_failed = true;
        snprintf(why, len, "stopped: pass %zu failed",
                 json_object_array_length(sj->passes) + 1);
        return true;
      }
      runner_set_phase(r, phase);
      return false;
    }
    sj->held = req;     /* a cutover came between the peek and the take */
  }
  snprintf(why, len, "stopped: the cutover was asked for, and a cutover "
           "does not wait for a rehearsal");
  return true;
}

/* A rehearsal of the cutover's conversion (the request's or the pass's
 * "rehearse"): virt-v2v-in-place on throw-away overlays over the
 * destinations as the last pass left them, while the source still runs.
 * The destinations are only read (convert/inplace-job.c).  Its outcome
 * goes to result.rehearsals; one that fails says why there and the job
 * goes on: only a cancel, or a pass run during it that fails (job_f
 * then set), ends it (-1).  It reads a snapshot of the destinations
 * (sync/snapshot.h), so that passes may run meanwhile. */
static int rehearse(struct sync_job *sj, struct job_failure *job_f)
{
  struct runner *r = sj->r;
  _cleanup_free_ struct inplace_request *req = calloc(1, sizeof *req);
  json_object *reh = json_object_new_object(), *list;
  struct job_failure f = { { 0 }, { 0 } };
  char started[RFC3339_LEN];
  double start = time_monotonic(), took;
  int ret;

  if (!json_object_object_get_ex(sj->result, "rehearsals", &list)) {
    list = json_object_new_array();
    json_object_object_add(sj->result, "rehearsals", list);
  }
  json_object_array_add(list, reh);
  time_rfc3339_now(started);
  json_object_object_add(reh, "after_pass",
                         json_object_new_int64((int64_t)sj->n_facts));
  json_object_object_add(reh, "started_at", json_object_new_string(started));
  runner_log(r, "rehearsing the conversion after pass %zu", sj->n_facts);
  if (!req) {
    failure_set(&f, "internal", "out of memory");
    ret = -1;
  } else {
    struct v2v_stop stop = { during_rehearsal, sj };
    char *paths[REQUEST_MAX_DISKS];
    for (size_t i = 0; i < sj->req->n_disks; i++)
      paths[i] = sj->done[i].path;
    inplace_of_destinations(sj, &sj->req->inplace, req);
    ret = snapshot_start(r, sj->req->n_disks, paths, &sj->snap, &f);
    if (ret < 0 && strcmp(f.code, "missing_dependency") == 0) {
      /* the rehearsal as it was before snapshots: over the
       * destinations themselves, passes asked for wait for its end */
      runner_log(r, "%s; the passes asked for meanwhile wait for the "
                 "rehearsal's end", f.message);
      memset(&f, 0, sizeof f);
      ret = 0;
    }
    if (ret == 0)
      ret = inplace_rehearse(r, req, sj->snap.qsd
                             ? (const char *const *)sj->snap.read_uri : NULL,
                             &stop, reh, &f);
    snapshot_stop(r, &sj->snap);
  }
  if (sj->pass_failed) {
    *job_f = sj->pass_f;
    return -1;
  }
  if (r->kids.cancelled)
    return -1;
  took = time_monotonic() - start;
  json_object_object_add(reh, "seconds", json_object_new_double(
    (double)(int64_t)(took * 1000) / 1000));
  json_object_object_add(reh, "state", json_object_new_string(
    ret == 0 ? "succeeded" : strcmp(f.code, "stopped") == 0 ? "stopped"
    : "failed"));
  if (ret == 0)
    sj->conversion_s = took;
  else {
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(f.code));
    json_object_object_add(e, "message", json_object_new_string(f.message));
    json_object_object_add(reh, "error", e);
  }
  runner_log(r, "rehearsal %s in %.1f s%s%s", ret == 0 ? "succeeded"
             : "failed", took, ret == 0 ? "" : ": ", ret == 0 ? ""
             : f.message);
  return 0;
}

/* After each pass: its facts kept for the prediction, a rehearsal when
 * one was asked for, then result.prediction (not after the cutover
 * pass: the prediction made before it is what the cutover is judged
 * against, result.cutover). */
static int after_pass(struct sync_job *sj, double start, bool cutover,
                      bool rehearsal, struct job_failure *f)
{
  json_object *pass = json_object_array_get_idx(
    sj->passes, json_object_array_length(sj->passes) - 1);
  struct pass_fact *facts = realloc(sj->facts,
                                    (sj->n_facts + 1) * sizeof *facts);

  if (!facts)
    return 0;      /* no prediction then, the passes go on */
  sj->facts = facts;
  facts[sj->n_facts++] = (struct pass_fact){
    .start = start,
    .seconds = json_object_get_double(json_get(pass, "seconds")),
    .bytes = json_object_get_int64(json_get(pass, "bytes")),
    .full = sj->n_facts == 0,
  };
  if (cutover)
    return 0;
  /* a pass during a rehearsal asking for one gets it after that one,
   * which saw the disks as they were before */
  for (bool again = rehearsal; again && !sj->held;
       again = sj->rehearse_again) {
    sj->rehearse_again = false;
    if (rehearse(sj, f) < 0)
      return -1;
  }
  predict(sj);
  return runner_write_state(sj->r);
}

/* result.cutover: what the cutover took (its pass and the conversion)
 * against what result.prediction said. */
static void cutover_taken(struct sync_job *sj, double start)
{
  json_object *o = json_object_new_object();
  double took = time_monotonic() - start;

  json_object_object_add(o, "seconds", json_object_new_double(
    (double)(int64_t)(took * 1000) / 1000));
  json_object_object_add(o, "predicted_seconds", sj->predicted_s >= 0
    ? json_object_new_double((double)(int64_t)(sj->predicted_s * 1000)
                             / 1000) : NULL);
  json_object_object_add(sj->result, "cutover", o);
}

/* After the cutover pass, when the request has "inplace": the
 * destinations converted by virt-v2v-in-place, as an inplace job of
 * those disks would (through overlays, committed only on success);
 * its result goes to result.inplace. */
static int convert_in_place(struct sync_job *sj,
                            const struct rq_inplace_guest *guest,
                            struct job_failure *f)
{
  struct runner *r = sj->r;
  _cleanup_free_ struct inplace_request *req = calloc(1, sizeof *req);
  json_object *conv = json_object_new_object();
  int ret;

  json_object_object_add(sj->result, "inplace", conv);
  if (!req) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  inplace_of_destinations(sj, guest, req);
  runner_log(r, "cutover done: converting the destinations in place");
  ret = inplace_run(r, req, conv, f);
  if (ret < 0 && !r->kids.cancelled) {
    char msg[sizeof f->message];
    /* the copy is complete and current: only the conversion is to redo */
    if (snprintf(msg, sizeof msg, "the cutover pass is done, converting "
                 "in place failed: %s", f->message) >= 0)
      memcpy(f->message, msg, sizeof msg);
  }
  return ret;
}

/* The pass a request file (jobs/sync_request.h; an empty object: the
 * interval's) asks for, its body parsed as uchd did, then after_pass().
 * 0 when done (*trigger says which), 1 when the request was refused
 * (logged, nothing done), -1 on failure or cancel. */
static int pass_asked(struct sync_job *sj, json_object *pass,
                      enum pass_trigger *trigger, struct job_failure *f)
{
  static const char *const triggers[] = { [PASS_INTERVAL] = "interval",
                                          [PASS_SYNC] = "sync",
                                          [PASS_CUTOVER] = "cutover" };
  _cleanup_(sync_pass_freep) struct sync_pass *asked = NULL;
  struct uch_error err = { 0 };
  bool rehearsing = sj->snap.qsd != NULL;
  double start;

  *trigger = PASS_INTERVAL;
  if (request_sync_pass_file(pass, sj->req, trigger, &asked, &err) < 0) {
    runner_log(sj->r, "%s request refused: %s", triggers[*trigger],
               err.message);
    return 1;
  }
  start = time_monotonic();
  if (*trigger == PASS_CUTOVER)
    sj->cutover_start = start;
  if (run_pass(sj, false, triggers[*trigger], asked, f) < 0)
    return -1;
  if (rehearsing && asked && asked->rehearse)
    sj->rehearse_again = true;
  return after_pass(sj, start, *trigger == PASS_CUTOVER,
                    !rehearsing && asked && asked->rehearse, f) < 0 ? -1 : 0;
}

int sync_job_run(struct runner *r, const struct job_request *req,
                 json_object *result, struct job_failure *f)
{
  struct sync_job sj = { .r = r, .req = &req->u.sync, .result = result,
                         .ino_fd = -1, .conversion_s = -1,
                         .predicted_s = -1 };
  double start = time_monotonic();
  int ret = -1;

  sj.passes = json_object_new_array();
  json_object_object_add(result, "passes", sj.passes);
  /* made before pass 1, so a pass asked for during it is not lost */
  if (watch_requests(&sj, f) < 0 ||
      bandwidth_start(r, &sj.req->limits, f) < 0 ||
      run_pass(&sj, true, "start", NULL, f) < 0 ||
      after_pass(&sj, start, false, sj.req->rehearse, f) < 0)
    goto out;
  forget_checkpoints(r, sj.req->n_disks);
  for (;;) {
    /* a cutover a rehearsal took, else the next request or interval */
    _cleanup_json_ json_object *pass = sj.held ? sj.held
                                               : wait_for_pass(&sj);
    enum pass_trigger trigger;
    int done;
    sj.held = NULL;
    if (!pass)
      goto out;
    if ((done = pass_asked(&sj, pass, &trigger, f)) < 0)
      goto out;
    if (done == 0 && trigger == PASS_CUTOVER)
      break;
  }
  start = sj.cutover_start;
  if (sj.req->has_inplace && convert_in_place(&sj, &sj.req->inplace, f) < 0)
    goto out;
  cutover_taken(&sj, start);
  ret = 0;
out:
  snapshot_stop(r, &sj.snap);
  json_object_put(sj.held);
  if (sj.ino_fd >= 0)
    close(sj.ino_fd);
  for (size_t i = 0; i < REQUEST_MAX_DISKS; i++)
    free(sj.done[i].path);
  free(sj.facts);
  return ret;
}
