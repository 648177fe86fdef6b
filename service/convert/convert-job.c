/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/probe.h"
#include "convert/accel.h"
#include "convert/convert-job.h"
#include "convert/inspect-drives.h"
#include "convert/nic-pin.h"
#include "convert/nic-pin-job.h"
#include "convert/v2v-argv.h"
#include "convert/v2v-block.h"
#include "convert/v2v-openstack.h"
#include "convert/v2v-options.h"
#include "convert/v2v-progress.h"
#include "convert/v2v-ssh.h"
#include "convert/v2v-vcenter.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"

struct convert_run {
  struct runner *r;
  struct v2v_progress *p;
  int mr_fd;             /* the machine-readable file, read as it grows */
  const struct v2v_stop *stop;   /* NULL: runs to its end or a cancel */
};

/* job.log keeps every line; a redrawn bar keeps only its last state. */
static void on_v2v_line(struct child *ch, const char *line)
{
  struct convert_run *cr = ch->opaque;
  const char *last = strrchr(line, '\r');

  children_log(&cr->r->kids, ch->tool, "%s", last ? last + 1 : line);
  v2v_progress_feed_output(cr->p, line, strlen(line));
  v2v_progress_feed_output(cr->p, "\n", 1);
  snprintf(ch->last_line, sizeof ch->last_line, "%s", line);
}

static void read_machine_file(struct convert_run *cr)
{
  char buf[4096];
  ssize_t n;

  while (cr->mr_fd >= 0 && (n = read(cr->mr_fd, buf, sizeof buf)) > 0)
    v2v_progress_feed_machine(cr->p, buf, n);
}

void v2v_ensure_disks(struct runner *r, size_t n)
{
  json_object *disks = json_get(r->doc, "disks");

  while (disks && json_object_array_length(disks) < n) {
    json_object *d = json_object_new_object();
    json_object_object_add(d, "percent", json_object_new_double(0));
    json_object_object_add(d, "bytes_done", json_object_new_int64(0));
    json_object_object_add(d, "bytes_total", json_object_new_int64(0));
    json_object_array_add(disks, d);
  }
}

static void apply_progress(struct convert_run *cr)
{
  struct runner *r = cr->r;
  struct v2v_progress *p = cr->p;

  if (!p->changed)
    return;
  p->changed = false;
  if (p->phase[0] && strcmp(p->phase, json_get_string(r->doc, "phase")) != 0)
    runner_set_phase(r, p->phase);
  if (p->disk > 0) {
    v2v_ensure_disks(r, (size_t)p->disks);
    /* Earlier disks are done once a later one is being copied. */
    for (int i = 0; i < p->disk - 1; i++)
      runner_disk_progress(r, i, 100, 0, 0);
    runner_disk_progress(r, p->disk - 1, p->percent < 0 ? 0 : p->percent,
                         0, 0);
  }
}

static int names_in(const char *dir, json_object *names)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  struct dirent *e;

  if (!d)
    return -1;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      json_object_object_add(names, e->d_name, NULL);
  return 0;
}

/* What virt-v2v wrote: the files of the output directory that were not
 * there before (disks NAME-sdX, NAME.xml or NAME.yaml). */
static void add_outputs(json_object *result, const char *dir,
                        json_object *before)
{
  _cleanup_json_ json_object *after = json_object_new_object();
  json_object *disks = json_object_new_array();

  json_object_object_add(result, "disks", disks);
  if (names_in(dir, after) < 0)
    return;
  json_object_object_foreach(after, name, unused) {
    (void)unused;
    _cleanup_free_ char *path = NULL;
    size_t len = strlen(name);
    if (json_object_object_get_ex(before, name, NULL) ||
        asprintf(&path, "%s/%s", dir, name) < 0)
      continue;
    if (len > 4 && (strcmp(name + len - 4, ".xml") == 0 ||
                    strcmp(name + len - 5, ".yaml") == 0))
      json_object_object_add(result, "metadata", json_object_new_string(path));
    else if (strstr(name, "-sd")) {
      json_object *d = json_object_new_object();
      json_object_object_add(d, "path", json_object_new_string(path));
      json_object_array_add(disks, d);
    }
  }
}

/* The libosinfo id virt-v2v's inspection gave the guest, as written into
 * the domain XML (<libosinfo:os id="http://debian.org/debian/12"/>):
 * "12.15" alone, the product name of a Debian guest, says little. */
static void add_osinfo(json_object *guest, const char *metadata)
{
  _cleanup_free_ char *xml = NULL;
  const char *tag = "<libosinfo:os id='", *p, *end;
  size_t len;

  if (!metadata || read_file(metadata, &xml, &len) < 0)
    return;
  if (!(p = strstr(xml, tag))) {
    tag = "<libosinfo:os id=\"";
    if (!(p = strstr(xml, tag)))
      return;
  }
  p += strlen(tag);
  if ((end = strpbrk(p, "'\"")) && end - p < 256)
    json_object_object_add(guest, "osinfo",
                           json_object_new_string_len(p, (int)(end - p)));
}

/* A failed or cancelled run leaves no half-written guest behind. */
static void remove_outputs(const char *dir, json_object *before)
{
  _cleanup_json_ json_object *after = json_object_new_object();

  if (names_in(dir, after) < 0)
    return;
  json_object_object_foreach(after, name, unused) {
    (void)unused;
    _cleanup_free_ char *path = NULL;
    if (!json_object_object_get_ex(before, name, NULL) &&
        asprintf(&path, "%s/%s", dir, name) > 0)
      unlink(path);
  }
}

void v2v_add_warnings(json_object *result, const struct v2v_progress *p)
{
  json_object *list = json_object_new_array();

  for (int i = 0; i < p->n_warnings; i++)
    json_object_array_add(list, json_object_new_string(p->warnings[i]));
  json_object_object_add(result, "warnings", list);
}

static const char *output_dir(const struct convert_request *req)
{
  return req->output.kind == CONVERT_OUT_LOCAL ||
         req->output.kind == CONVERT_OUT_KUBEVIRT ? req->output.dir : NULL;
}

/* A Linux guest's static addresses on their NICs' old names
 * (convert/nic-pin-job.h), for options.macs[].ip: on the disks virt-v2v
 * wrote (result.disks), after it.  The initramfs virt-v2v rebuilt does
 * not hold the rule; udev in the real root renames the NIC, still down,
 * when it adds it again at boot (docs/api.md). */
static int keep_nic_names(struct runner *r, const struct convert_request *req,
                          json_object *result, struct job_failure *f)
{
  const struct v2v_options *o = &req->options;
  json_object *disks = json_get(result, "disks");
  size_t n = disks ? json_object_array_length(disks) : 0;
  _cleanup_free_ char **paths = NULL;
  _cleanup_free_ const char **formats = NULL;

  if (nic_pin_count(o) == 0)
    return 0;
  if (req->output.kind == CONVERT_OUT_OPENSTACK) {
    static const char why[] = "output.openstack: virt-v2v wrote the disks "
      "to Cinder volumes it detached from this host, which cannot open "
      "them to keep a Linux guest's NIC names (output.block, onto volumes "
      "attached here, can)";
    runner_log(r, "NIC names not kept: %s", why);
    json_object_object_add(result, "nics", nic_pin_unpinned(o, why));
    return 0;
  }
  if (!(paths = calloc(n + 1, sizeof *paths)) ||
      !(formats = calloc(n + 1, sizeof *formats))) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    const char *path = json_get_string(json_object_array_get_idx(disks, i),
                                       "path");
    enum v2v_format of = req->output.kind == CONVERT_OUT_LOCAL
      ? req->output.format : V2V_FORMAT_DEFAULT;

    /* block: raw on the devices; local: as asked, else as virt-v2v
     * chose (the input's format) */
    paths[i] = (char *)path;
    formats[i] = req->output.kind == CONVERT_OUT_BLOCK ? "raw"
      : of == V2V_FORMAT_QCOW2 ? "qcow2" : of == V2V_FORMAT_RAW ? "raw"
      : path ? inspect_image_format(path) : NULL;
    if (!path || !formats[i]) {
      failure_set(f, "internal", "result.disks[%zu]: %s: %s", i,
                  path ? path : "no path", strerror(errno));
      return -1;
    }
  }
  return nic_pin_job_run(r, paths, formats, n, o, result, f);
}

/* virt-v2v's temporary overlays go under the job's runtime directory
 * (not /var/tmp), so whatever a killed virt-v2v leaves is removed with
 * it when the job ends.  Not LIBGUESTFS_CACHEDIR: that would rebuild
 * the appliance (~15 s) for every job. */
int v2v_prepare(struct runner *r, char **mr_path, char **tmpdir)
{
  const char *scratch = runner_scratch_dir(r);

  /* virt-v2v wants a GiB or more of temporary space: on disk, not in
   * RUNTIME (a tmpfs of a few hundred MiB on the appliance) */
  if (!scratch ||
      asprintf(mr_path, "%s/v2v-messages.json", r->rt_dir) < 0 ||
      asprintf(tmpdir, "%s/v2v-tmp", scratch) < 0 ||
      mkdir_p(*tmpdir, 0700) < 0 ||
      setenv("VIRT_V2V_TMPDIR", *tmpdir, 1) < 0 ||
      convert_accel_prepare(r) < 0)
    return -1;
  return 0;
}

/* The run itself, shared by convert and inplace: TOOL's output and
 * machine-readable file fed into P as they come. */
static int run_v2v(struct convert_run *cr, const char *tool,
                   const struct argv *a, struct job_failure *f)
{
  struct runner *r = cr->r;
  struct child *ch = child_spawn(&r->kids, tool, a, -1);
  char why[512];
  int ret = -1;

  if (!ch) {
    failure_set(f, "tool_failed", "%s: cannot run: %s", tool, strerror(errno));
    return -1;
  }
  ch->on_line = on_v2v_line;
  ch->opaque = cr;
  while (!ch->exited && !r->kids.cancelled) {
    char stop_why[512];
    children_poll(&r->kids, -1, 250);
    read_machine_file(cr);
    apply_progress(cr);
    if (cr->stop && !ch->exited &&
        cr->stop->fn(cr->stop->arg, stop_why, sizeof stop_why)) {
      child_stop(&r->kids, ch);
      child_release(&r->kids, ch);
      failure_set(f, "stopped", "%s", stop_why);
      return -1;
    }
  }
  if (child_wait(&r->kids, ch) < 0) {
    child_stop(&r->kids, ch);     /* before its half-written files go */
    return -1;
  }
  read_machine_file(cr);
  apply_progress(cr);
  if (child_succeeded(ch))
    ret = 0;
  else if (cr->p->error)
    failure_set(f, "convert_failed", "%s: %s", tool, cr->p->error);
  else {
    child_describe_failure(ch, why, sizeof why);
    failure_set(f, "convert_failed", "%s", why);
  }
  child_release(&r->kids, ch);
  return ret;
}

int v2v_run(struct runner *r, const char *tool, const struct argv *a,
            const char *mr_path, struct v2v_progress *p,
            struct job_failure *f)
{
  return v2v_run_until(r, tool, a, mr_path, p, NULL, f);
}

int v2v_run_until(struct runner *r, const char *tool, const struct argv *a,
                  const char *mr_path, struct v2v_progress *p,
                  const struct v2v_stop *stop, struct job_failure *f)
{
  _cleanup_free_ char *cmd = NULL;
  struct convert_run cr = { .r = r, .p = p, .mr_fd = -1, .stop = stop };
  int ret;

  cr.mr_fd = open(mr_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (cr.mr_fd < 0) {
    failure_set(f, "internal", "%s: %s", mr_path, strerror(errno));
    return -1;
  }
  if ((cmd = argv_join(a)))
    runner_log(r, "running: %s", cmd);
  runner_set_phase(r, "starting");
  ret = run_v2v(&cr, tool, a, f);
  close(cr.mr_fd);
  return ret;
}

int convert_job_run(struct runner *r, const struct job_request *job,
                    json_object *result, struct job_failure *f)
{
  const struct convert_request *req = &job->u.convert;
  _cleanup_free_ char *v2v = probe_find_program("virt-v2v", NULL);
  _cleanup_free_ char *mr_path = NULL, *tmpdir = NULL, *password = NULL;
  _cleanup_json_ json_object *before = json_object_new_object();
  _cleanup_argv_ struct argv a = { 0 };
  struct v2v_progress p;
  struct v2v_files files = { 0 };
  struct v2v_ssh ssh = { 0 };
  _cleanup_(v2v_options_free) struct v2v_options_run opts = { 0 };
  _cleanup_(v2v_block_free) struct v2v_block block = { 0 };
  const char *dir = output_dir(req), *why = NULL;
  int ret;

  if (!v2v) {
    failure_set(f, "missing_dependency", "virt-v2v is not installed on this host "
                "(Debian: apt-get install virt-v2v)");
    return -1;
  }
  if (v2v_prepare(r, &mr_path, &tmpdir) < 0) {
    failure_set(f, "internal", "%s: %s", r->rt_dir, strerror(errno));
    return -1;
  }
  files.machine_readable = mr_path;
  if (v2v_options_prepare(r, v2v, &req->options, &opts, &files, f) < 0 ||
      v2v_vcenter_prepare(r, req, &files, &password, f) < 0 ||
      v2v_openstack_prepare(r, req, f) < 0 ||
      v2v_block_prepare(r, req, &block, f) < 0)
    return -1;
  if (block.dir)
    dir = files.block_dir = block.dir;
  if (v2v_argv(&a, req, &files, &why) < 0) {
    failure_set(f, "invalid_request", "%s", why ? why : strerror(errno));
    return -1;
  }
  /* openstack writes Cinder volumes, not files */
  if (dir && names_in(dir, before) < 0) {
    failure_set(f, "internal", "%s: %s", dir, strerror(errno));
    return -1;
  }
  if (v2v_ssh_start(r, req, &ssh, f) < 0)
    return -1;
  v2v_progress_init(&p);
  ret = v2v_run(r, "virt-v2v", &a, mr_path, &p, f);
  v2v_ssh_stop(r, &ssh);
  v2v_add_warnings(result, &p);
  if (ret == 0 && block.dir &&
      v2v_block_result(r, &block, p.disks, result, f) < 0)
    ret = -1;
  if (ret == 0) {
    json_object *guest = json_object_new_object();
    if (!block.dir && dir)
      add_outputs(result, dir, before);
    /* What virt-v2v's inspection named the guest ("Converting NAME to
     * run on KVM"): its only guest fact on the terminal. */
    if (p.product[0])
      json_object_object_add(guest, "product_name",
                             json_object_new_string(p.product));
    add_osinfo(guest, json_get_string(result, "metadata"));
    json_object_object_add(result, "guest", guest);
    if (keep_nic_names(r, req, result, f) < 0) {
      ret = -1;
      json_object_object_del(result, "disks");
      json_object_object_del(result, "metadata");
    }
  }
  if (ret != 0 && dir)
    remove_outputs(dir, before);
  v2v_progress_free(&p);
  return ret;
}
