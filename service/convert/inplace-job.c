/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inplace job: virt-v2v-in-place on disks already copied.  It never
 * writes them directly: each disk gets a qcow2 overlay in the job's
 * scratch dir, the domain XML names the overlays, and only when the
 * conversion succeeded are the overlays committed into the disks.  A
 * failed or cancelled conversion leaves the copied data as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/probe.h"
#include "convert/convert-job.h"
#include "convert/inplace-job.h"
#include "convert/inplace-xml.h"
#include "convert/nic-pin-job.h"
#include "convert/v2v-argv.h"
#include "convert/v2v-options.h"
#include "runner/volume-wait.h"
#include "jobs/job-request.h"
#include "transfer/endpoint.h"
#include "transfer/tool-argv.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "volumes/volume-open.h"

struct inplace_run {
  struct runner *r;
  const struct inplace_request *req;
  bool rehearse;       /* a rehearsal: the disks are read, never written */
  /* a rehearsal's: what each overlay is over (raw), NULL: the disk */
  const char *const *backing;
  size_t n;
  char **paths;        /* the disks, resolved (a volume's device) */
  const char **formats;
  char **overlays;
};

static void inplace_run_free(struct inplace_run *ir)
{
  for (size_t i = 0; i < ir->n; i++) {
    if (ir->overlays && ir->overlays[i])
      unlink(ir->overlays[i]);
    free(ir->paths ? ir->paths[i] : NULL);
    free(ir->overlays ? ir->overlays[i] : NULL);
  }
  free(ir->paths);
  free(ir->formats);
  free(ir->overlays);
}

/* A disk is written (by the commit), so it is never one the system
 * uses, by path or by volume; a rehearsal's is only read, and checked
 * the same way. */
static int resolve_disks(struct inplace_run *ir, struct job_failure *f)
{
  struct runner *r = ir->r;

  ir->n = ir->req->n_disks;
  ir->paths = calloc(ir->n, sizeof *ir->paths);
  ir->formats = calloc(ir->n, sizeof *ir->formats);
  ir->overlays = calloc(ir->n, sizeof *ir->overlays);
  if (!ir->paths || !ir->formats || !ir->overlays) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  for (size_t i = 0; i < ir->n; i++) {
    const struct rq_inplace_disk *d = &ir->req->disks[i];

    ir->formats[i] = d->format == FORMAT_QCOW2 ? "qcow2" : "raw";
    if (d->path) {
      if (!(ir->paths[i] = strdup(d->path))) {
        failure_set(f, "internal", "out of memory");
        return -1;
      }
      if (block_destination_check(d->path, f) < 0)
        return -1;
    } else if (volume_open(r, &d->volume, true, &ir->paths[i], f) < 0)
      return -1;
    if (access(ir->paths[i], ir->rehearse ? R_OK : R_OK | W_OK) < 0) {
      failure_set(f, "disk", "disks[%zu]: %s: %s", i, ir->paths[i],
                  strerror(errno));
      return -1;
    }
  }
  return 0;
}

static int make_overlays(struct inplace_run *ir, struct job_failure *f)
{
  for (size_t i = 0; i < ir->n; i++) {
    _cleanup_argv_ struct argv a = { 0 };

    const char *scratch = runner_scratch_dir(ir->r);
    /* an overlay takes all the conversion writes: on disk, not RUNTIME */
    if (!scratch || asprintf(&ir->overlays[i], "%s/overlay-%zu.qcow2",
                             scratch, i) < 0) {
      ir->overlays[i] = NULL;
      failure_set(f, "internal", "out of memory");
      return -1;
    }
    const char *over = ir->backing ? ir->backing[i] : NULL;
    if (qemu_img_overlay_argv(&a, over ? over : ir->paths[i],
                              over ? "raw" : ir->formats[i],
                              ir->overlays[i]) < 0) {
      failure_set(f, "internal", "out of memory");
      return -1;
    }
    if (tool_run(ir->r, "qemu-img", &a, f) < 0)
      return -1;
  }
  return 0;
}

/* The guest as the source had it, its disks replaced by the overlays. */
static int write_xml(struct inplace_run *ir, const char *xml_path,
                     struct job_failure *f)
{
  const struct rq_inplace_guest *guest = &ir->req->guest;
  size_t n_nics = guest->n_nics;
  _cleanup_free_ struct inplace_disk *disks = calloc(ir->n, sizeof *disks);
  _cleanup_free_ struct inplace_nic *nics = calloc(n_nics + 1, sizeof *nics);
  _cleanup_free_ char *doc = NULL;
  struct inplace_guest g = {
    .name = guest->name,
    .memory_mib = guest->memory_mib,
    .vcpus = guest->vcpus,
    .uefi = guest->firmware == FIRMWARE_UEFI,
    .disks = disks, .n_disks = ir->n, .nics = nics, .n_nics = n_nics,
  };

  if (!disks || !nics) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  for (size_t i = 0; i < ir->n; i++)
    disks[i] = (struct inplace_disk){ ir->overlays[i], "qcow2" };
  for (size_t i = 0; i < n_nics; i++)
    nics[i] = (struct inplace_nic){ guest->nics[i].mac,
                                    guest->nics[i].network,
                                    guest->nics[i].bridge };
  if (!(doc = inplace_xml(&g)) ||
      write_file_atomic(xml_path, doc, strlen(doc), 0600) < 0) {
    failure_set(f, "internal", "%s: %s", xml_path, strerror(errno));
    return -1;
  }
  runner_log(ir->r, "domain XML %s:\n%s", xml_path, doc);
  return 0;
}

/* Past the conversion, a commit is not interrupted: stopping it half
 * way would leave a disk neither as copied nor converted.  A cancel
 * that comes now waits for the commits, and the job then reports what
 * is true: the disks are converted. */
static int commit_one(struct inplace_run *ir, size_t i, struct job_failure *f)
{
  struct runner *r = ir->r;
  _cleanup_argv_ struct argv a = { 0 };
  struct child *ch;
  char why[512];

  if (qemu_img_commit_argv(&a, ir->overlays[i]) < 0 ||
      !(ch = child_spawn(&r->kids, "qemu-img", &a, -1))) {
    failure_set(f, "tool_failed", "qemu-img commit: cannot run: %s",
                strerror(errno));
    return -1;
  }
  child_wait_for(&r->kids, ch, CHILD_CANCEL_WAITS);
  if (!child_succeeded(ch)) {
    child_describe_failure(ch, why, sizeof why);
    failure_set(f, "commit_failed", "disks[%zu] %s: %s (disks before it are "
                "converted, this one and later ones may not be)", i,
                ir->paths[i], why);
    child_release(&r->kids, ch);
    return -1;
  }
  child_release(&r->kids, ch);
  runner_disk_progress(r, i, 100, 0, 0);
  return 0;
}

static int commit_all(struct inplace_run *ir, struct job_failure *f)
{
  bool cancelled = ir->r->kids.cancelled;

  runner_set_phase(ir->r, "committing");
  for (size_t i = 0; i < ir->n; i++)
    if (commit_one(ir, i, f) < 0)
      return -1;
  if (ir->r->kids.cancelled && !cancelled) {
    runner_log(ir->r, "a cancel came while committing; the commit was "
               "finished, so the disks are converted");
    ir->r->kids.cancelled = false;
  }
  return 0;
}

/* A Linux guest's static addresses on their NICs' old names
 * (convert/nic-pin-job.h): on the overlays, before virt-v2v-in-place,
 * which then rebuilds the initramfs with the rule in it. */
static int keep_nic_names(struct inplace_run *ir, json_object *result,
                          struct job_failure *f)
{
  _cleanup_free_ const char **formats = calloc(ir->n + 1, sizeof *formats);

  if (!formats) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  for (size_t i = 0; i < ir->n; i++)
    formats[i] = "qcow2";
  return nic_pin_job_run(ir->r, ir->overlays, formats, ir->n,
                         &ir->req->guest.options, result, f);
}

static void add_result(struct inplace_run *ir, json_object *result,
                       const struct v2v_progress *p)
{
  json_object *disks = json_object_new_array();
  json_object *guest = json_object_new_object();

  for (size_t i = 0; i < ir->n; i++) {
    json_object *d = json_object_new_object();
    json_object_object_add(d, "path", json_object_new_string(ir->paths[i]));
    json_object_object_add(d, "format",
                           json_object_new_string(ir->formats[i]));
    json_object_array_add(disks, d);
  }
  json_object_object_add(result, "disks", disks);
  if (p->product[0])
    json_object_object_add(guest, "product_name",
                           json_object_new_string(p->product));
  json_object_object_add(result, "guest", guest);
}

int inplace_job_run(struct runner *r, const struct job_request *req,
                    json_object *result, struct job_failure *f)
{
  return inplace_run(r, &req->u.inplace, result, f);
}

/* The conversion; its overlays committed into the disks, or for a
 * rehearsal thrown away with them untouched. */
static int inplace_do(struct runner *r, const struct inplace_request *req,
                      bool rehearse, const char *const *backing,
                      const struct v2v_stop *stop, json_object *result,
                      struct job_failure *f)
{
  _cleanup_free_ char *prog = probe_find_program("virt-v2v-in-place",
                                                 "/usr/libexec");
  _cleanup_free_ char *qemu_img = probe_find_program("qemu-img", NULL);
  _cleanup_free_ char *mr_path = NULL, *tmpdir = NULL, *xml = NULL;
  _cleanup_argv_ struct argv a = { 0 };
  struct inplace_run ir = { .r = r, .req = req, .rehearse = rehearse,
                            .backing = backing };
  _cleanup_(v2v_options_free) struct v2v_options_run opts = { 0 };
  struct v2v_files files = { 0 };
  struct v2v_progress p;
  const char *why = NULL;
  int ret = -1;

  if (!prog) {
    failure_set(f, "missing_dependency", "virt-v2v-in-place is not installed "
                "on this host (looked on PATH and in /usr/libexec; Debian: "
                "apt-get install virt-v2v)");
    return -1;
  }
  if (!qemu_img) {
    failure_set(f, "missing_dependency", "qemu-img is not installed on this "
                "host (Debian: apt-get install qemu-utils)");
    return -1;
  }
  v2v_progress_init(&p);
  if (v2v_prepare(r, &mr_path, &tmpdir) < 0 ||
      asprintf(&xml, "%s/domain.xml", r->rt_dir) < 0) {
    failure_set(f, "internal", "%s: %s", r->rt_dir, strerror(errno));
    goto out;
  }
  /* a sync job converts more than once (rehearsals, then the cutover's):
   * each run reads its own messages only */
  if (unlink(mr_path) < 0 && errno != ENOENT) {
    failure_set(f, "internal", "%s: %s", mr_path, strerror(errno));
    goto out;
  }
  if (resolve_disks(&ir, f) < 0)
    goto out;
  v2v_ensure_disks(r, ir.n);
  runner_set_phase(r, rehearse ? "rehearsing" : "preparing overlays");
  if (make_overlays(&ir, f) < 0 || write_xml(&ir, xml, f) < 0 ||
      keep_nic_names(&ir, result, f) < 0)
    goto out;
  files.machine_readable = mr_path;
  if (v2v_options_prepare(r, prog, &req->guest.options, &opts, &files,
                          f) < 0)
    goto out;
  if (v2v_inplace_argv(&a, prog, &req->guest.options, &files, xml,
                       &why) < 0) {
    failure_set(f, "invalid_request", "%s", why ? why : strerror(errno));
    goto out;
  }
  if (v2v_run_until(r, "virt-v2v-in-place", &a, mr_path, &p, stop, f) < 0 ||
      (!rehearse && commit_all(&ir, f) < 0))
    goto out;
  add_result(&ir, result, &p);
  ret = 0;
out:
  if (p.virtio_drivers)
    json_object_object_add(result, "virtio_drivers", json_object_new_boolean(
                             p.virtio_drivers > 0));
  v2v_add_warnings(result, &p);
  v2v_progress_free(&p);
  inplace_run_free(&ir);
  return ret;
}

int inplace_run(struct runner *r, const struct inplace_request *req,
                json_object *result, struct job_failure *f)
{
  return inplace_do(r, req, false, NULL, NULL, result, f);
}

int inplace_rehearse(struct runner *r, const struct inplace_request *req,
                     const char *const *backing, const struct v2v_stop *stop,
                     json_object *result, struct job_failure *f)
{
  return inplace_do(r, req, true, backing, stop, result, f);
}
