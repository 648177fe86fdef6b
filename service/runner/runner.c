/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/job.h"
#include "runner/runner.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/timeutil.h"

#define PROGRESS_INTERVAL 0.5

int runner_child_finish(struct runner *r, struct child *ch,
                        struct job_failure *f, const char *code)
{
  char why[512];
  int ret = -1;

  if (child_wait(&r->kids, ch) < 0) {     /* cancelled: it was stopped */
    child_release(&r->kids, ch);
    return -1;
  }
  if (child_succeeded(ch))
    ret = 0;
  else {
    child_describe_failure(ch, why, sizeof why);
    failure_set(f, code, "%s", why);
  }
  child_release(&r->kids, ch);
  return ret;
}

void runner_log(struct runner *r, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (!msg)
    return;
  children_log(&r->kids, "uch-job", "%s", msg);
  if (r->foreground)
    fprintf(stderr, "uch-job: %s\n", msg);
}

/* Space for the final state.json, taken when the job starts: a state
 * dir that fills up during a copy (other jobs' scratch files, logs) must
 * not turn a copy that finished into one reported lost. */
#define STATE_RESERVE (256 * 1024)

static void reserve_make(struct runner *r)
{
  _cleanup_close_ int fd = -1;
  int e;

  if (asprintf(&r->reserve_path, "%s/state.reserve", r->job_dir) < 0) {
    r->reserve_path = NULL;
    return;
  }
  fd = open(r->reserve_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
            0600);
  if (fd < 0 || (e = posix_fallocate(fd, 0, STATE_RESERVE)) != 0) {
    runner_log(r, "%s: cannot reserve space for the final state: %s",
               r->reserve_path, strerror(fd < 0 ? errno : e));
    unlink(r->reserve_path);
    free(r->reserve_path);
    r->reserve_path = NULL;
  }
}

static void reserve_drop(struct runner *r)
{
  if (!r->reserve_path)
    return;
  unlink(r->reserve_path);
  free(r->reserve_path);
  r->reserve_path = NULL;
}

/* flock first: until we hold it, the job is not ours to touch. */
static int take_lock(struct runner *r)
{
  _cleanup_free_ char *path = NULL;
  char pid[32];
  int n;

  if (asprintf(&path, "%s/worker.lock", r->job_dir) < 0)
    return -1;
  r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (r->lock_fd < 0) {
    fprintf(stderr, "uch-job: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
    fprintf(stderr, "uch-job: job %s: another worker holds %s\n", r->id, path);
    return -1;
  }
  n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  if (ftruncate(r->lock_fd, 0) < 0 || pwrite(r->lock_fd, pid, n, 0) != n)
    return -1;
  return 0;
}

static json_object *load_doc(struct runner *r)
{
  _cleanup_free_ char *req_path = NULL;
  json_object *doc = json_read_path(r->state_path);
  json_object *req;

  if (doc && json_get(doc, "request"))
    return doc;
  if (doc)
    json_object_put(doc);
  if (asprintf(&req_path, "%s/request.json", r->job_dir) < 0)
    return NULL;
  req = json_read_path(req_path);
  if (!req) {
    fprintf(stderr, "uch-job: %s: %s\n", req_path, strerror(errno));
    return NULL;
  }
  doc = jobdoc_new(r->id, req);
  json_object_put(req);
  return doc;
}

int runner_open(struct runner *r, const char *state_dir,
                const char *runtime_dir, const char *id, bool foreground)
{
  _cleanup_free_ char *log_path = NULL;

  /* Disk images, sockets and scratch files of a job are nobody else's
   * (the unit's UMask says the same; a uchd started from a shell may
   * have 022).  Files meant to be read say their mode explicitly. */
  umask(0077);
  memset(r, 0, sizeof *r);
  r->id = id;
  r->lock_fd = r->log_fd = -1;
  r->kids.sig_fd = -1;
  r->kids.log_fd = -1;
  r->foreground = foreground;
  r->job_dir = job_dir(state_dir, id);
  r->rt_dir = job_runtime_dir(runtime_dir, id);
  if (!r->job_dir || !r->rt_dir ||
      asprintf(&r->state_path, "%s/state.json", r->job_dir) < 0)
    return -1;
  if (children_block_signals() < 0 || take_lock(r) < 0)
    return -1;
  if (asprintf(&log_path, "%s/job.log", r->job_dir) < 0)
    return -1;
  r->log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (r->log_fd < 0) {
    fprintf(stderr, "uch-job: %s: %s\n", log_path, strerror(errno));
    return -1;
  }
  r->doc = load_doc(r);
  if (!r->doc)
    return -1;
  if (job_state_is_final(jobdoc_state(r->doc))) {
    fprintf(stderr, "uch-job: job %s is already %s\n", id,
            job_state_name(jobdoc_state(r->doc)));
    return -1;
  }
  r->request = json_get(r->doc, "request");
  if (children_init(&r->kids, r->log_fd) < 0 ||
      mkdir_p(r->rt_dir, 0700) < 0) {
    fprintf(stderr, "uch-job: %s: %s\n", r->rt_dir, strerror(errno));
    return -1;
  }
  reserve_make(r);
  jobdoc_set_worker(r->doc, getpid(), proc_start_time(getpid()));
  jobdoc_set_state(r->doc, JOB_RUNNING);
  jobdoc_set_phase(r->doc, "preparing");
  runner_log(r, "job %s: running (pid %d)", id, (int)getpid());
  return runner_write_state(r);
}

static int write_state(struct runner *r, bool final)
{
  r->last_write = time_monotonic();
  if (json_write_path(r->state_path, r->doc, 0644) == 0) {
    r->state_full = false;
    return 0;
  }
  if (errno == ENOSPC && final && r->reserve_path) {
    reserve_drop(r);
    runner_log(r, "%s: no space left on device; writing the final state "
               "in the space reserved for it", r->state_path);
    if (json_write_path(r->state_path, r->doc, 0644) == 0)
      return 0;
  }
  /* said once, not at every progress write while the disk is full */
  if (errno != ENOSPC || !r->state_full || final)
    runner_log(r, "writing %s: %s", r->state_path, strerror(errno));
  r->state_full = errno == ENOSPC;
  return -1;
}

int runner_write_state(struct runner *r)
{
  return write_state(r, false);
}

void runner_write_progress(struct runner *r)
{
  if (time_monotonic() - r->last_write >= PROGRESS_INTERVAL)
    runner_write_state(r);
}

bool runner_cancel_requested(void *opaque)
{
  struct runner *r = opaque;

  children_poll(&r->kids, -1, 0);
  return r->kids.cancelled;
}

void runner_set_phase(struct runner *r, const char *phase)
{
  jobdoc_set_phase(r->doc, phase);
  runner_log(r, "phase %s", phase);
  runner_write_state(r);
}

static void set_progress(json_object *o, double percent, uint64_t done,
                         uint64_t total)
{
  json_object_object_add(o, "percent", json_object_new_double(
                           (double)(int64_t)(percent * 10 + 0.5) / 10));
  json_object_object_add(o, "bytes_done", json_object_new_int64(done));
  json_object_object_add(o, "bytes_total", json_object_new_int64(total));
}

void runner_disk_progress(struct runner *r, size_t disk, double percent,
                          uint64_t done, uint64_t total)
{
  json_object *disks = json_get(r->doc, "disks");
  size_t n = disks ? json_object_array_length(disks) : 0;
  double sum_percent = 0;
  uint64_t sum_done = 0, sum_total = 0;

  if (disk >= n)
    return;
  set_progress(json_object_array_get_idx(disks, disk), percent, done, total);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(disks, i);
    sum_percent += json_object_get_double(json_get(d, "percent"));
    sum_done += json_object_get_int64(json_get(d, "bytes_done"));
    sum_total += json_object_get_int64(json_get(d, "bytes_total"));
  }
  /* Each disk weighs the same: totals of later disks are not known yet,
   * and the job's percent must never go back. */
  set_progress(json_get(r->doc, "progress"), sum_percent / n, sum_done,
               sum_total);
  if (r->foreground) {
    char line[sizeof r->last_shown];
    snprintf(line, sizeof line, "%s disk %zu/%zu: %d%%",
             json_get_string(r->doc, "phase"), disk + 1, n, (int)percent);
    if (strcmp(line, r->last_shown) != 0) {
      fprintf(stderr, "%s\n", line);
      memcpy(r->last_shown, line, sizeof line);
    }
  }
  runner_write_progress(r);
}

void runner_verify_progress(struct runner *r, size_t disk, uint64_t done,
                            uint64_t total)
{
  json_object *disks = json_get(r->doc, "disks");
  size_t n = disks ? json_object_array_length(disks) : 0;
  uint64_t sum_done = 0, sum_total = 0;
  json_object *v;

  if (disk >= n)
    return;
  v = json_object_new_object();
  set_progress(v, total ? 100.0 * (double)done / (double)total : 100, done,
               total);
  json_object_object_add(json_object_array_get_idx(disks, disk), "verify", v);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_get(json_object_array_get_idx(disks, i), "verify");
    sum_done += d ? json_object_get_int64(json_get(d, "bytes_done")) : 0;
    sum_total += d ? json_object_get_int64(json_get(d, "bytes_total")) : 0;
  }
  v = json_object_new_object();
  set_progress(v, sum_total ? 100.0 * (double)sum_done / (double)sum_total
                            : 100, sum_done, sum_total);
  json_object_object_add(json_get(r->doc, "progress"), "verify", v);
  runner_write_progress(r);
}

const char *runner_scratch_dir(struct runner *r)
{
  if (!r->scratch_dir &&
      asprintf(&r->scratch_dir, "%s/scratch", r->job_dir) < 0) {
    r->scratch_dir = NULL;
    return NULL;
  }
  if (mkdir(r->scratch_dir, 0700) < 0 && errno != EEXIST)
    return NULL;
  return r->scratch_dir;
}

static void remove_job_dirs(struct runner *r)
{
  rm_rf(r->rt_dir);
  if (r->scratch_dir)
    rm_rf(r->scratch_dir);
}

enum job_outcome runner_run(struct runner *r, runner_job_fn *run)
{
  struct job_failure f = { "internal", "" };
  json_object *result = json_object_new_object();
  enum job_outcome outcome;
  int ret;

  json_object_object_add(r->doc, "result", json_object_get(result));
  ret = run(r, result, &f);
  json_object_put(result);
  /* Nothing of the job may outlive its final state. */
  children_done(&r->kids);
  remove_job_dirs(r);
  if (r->kids.cancelled) {
    outcome = OUTCOME_CANCELLED;
    jobdoc_set_state(r->doc, JOB_CANCELLED);
    runner_log(r, "job %s: cancelled", r->id);
  } else if (ret < 0) {
    outcome = OUTCOME_FAILED;
    if (!f.message[0])
      snprintf(f.message, sizeof f.message, "the job failed (see job.log)");
    jobdoc_set_error(r->doc, f.code, f.message);
    jobdoc_set_state(r->doc, JOB_FAILED);
    runner_log(r, "job %s: failed: %s", r->id, f.message);
  } else {
    outcome = OUTCOME_SUCCEEDED;
    jobdoc_set_state(r->doc, JOB_SUCCEEDED);
    runner_log(r, "job %s: succeeded", r->id);
  }
  if (write_state(r, true) < 0) {
    runner_log(r, "job %s: %s, but its final state cannot be written",
               r->id, job_state_name(jobdoc_state(r->doc)));
    return OUTCOME_STATE_UNWRITTEN;
  }
  return outcome;
}

void runner_close(struct runner *r)
{
  children_done(&r->kids);
  if (r->rt_dir && r->doc)
    remove_job_dirs(r);
  reserve_drop(r);
  if (r->doc)
    json_object_put(r->doc);
  if (r->log_fd >= 0)
    close(r->log_fd);
  if (r->lock_fd >= 0)
    close(r->lock_fd);
  free(r->job_dir);
  free(r->rt_dir);
  free(r->scratch_dir);
  free(r->state_path);
  memset(r, 0, sizeof *r);
}
