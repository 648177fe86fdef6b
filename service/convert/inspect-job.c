/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/accel.h"
#include "convert/inspect-drives.h"
#include "convert/inspect-job.h"
#include "convert/inspect-verdict.h"
#include "jobs/job-request.h"
#include "runner/volume-wait.h"
#include "transfer/endpoint.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "volumes/volume-open.h"

struct inspect_run {
  struct runner *r;
  struct endpoint *servers;   /* one per disk, started for NBD sources */
  size_t n_servers;
};

static void prefix(struct job_failure *f, size_t i)
{
  char head[64], msg[sizeof f->message];

  snprintf(head, sizeof head, "disks[%zu].source: ", i);
  /* A message cut short still says where it went wrong first. */
  if (snprintf(msg, sizeof msg, "%s%s", head, f->message) < 0)
    return;
  memcpy(f->message, msg, sizeof msg);
}

/* disks[i].source as a libguestfs drive: a file or device with its
 * format, or an NBD server on a local socket (network and TLS sources
 * through nbdkit, as copy jobs read them). */
static int drive_of(struct inspect_run *ir, size_t i,
                    const struct rq_source *source, json_object *drives,
                    struct job_failure *f)
{
  _cleanup_free_ char *dev = NULL, *server = NULL, *exp = NULL;
  json_object *d = json_object_new_object();
  const char *path = source->path, *format;

  json_object_array_add(drives, d);
  if (source->kind == SOURCE_VOLUME) {
    if (volume_open(ir->r, &source->volume, false, &dev, f) < 0)
      return -1;
    path = dev;
  }
  if (path) {
    if (!(format = inspect_image_format(path))) {
      failure_set(f, "source", "%s: %s", path, strerror(errno));
      return -1;
    }
    json_object_object_add(d, "path", json_object_new_string(path));
    json_object_object_add(d, "format", json_object_new_string(format));
    return 0;
  }
  struct endpoint *s = &ir->servers[ir->n_servers++];
  if (source_open_nbd(ir->r, i, source->nbd, s, f) < 0)
    return -1;
  if (inspect_nbd_drive(s->uri, &server, &exp) < 0) {
    failure_set(f, "source", "%s: libguestfs reads NBD only from a local "
                "socket without TLS (nbd+unix:///EXPORT?socket=PATH)",
                s->uri);
    return -1;
  }
  json_object_object_add(d, "server", json_object_new_string(server));
  json_object_object_add(d, "export", json_object_new_string(exp));
  return 0;
}

static int write_drives(struct inspect_run *ir,
                        const struct inspect_request *req,
                        struct job_failure *f)
{
  struct runner *r = ir->r;
  size_t n = req->n_disks;
  _cleanup_json_ json_object *doc = json_object_new_object();
  json_object *drives = json_object_new_array();
  _cleanup_free_ char *path = NULL;

  json_object_object_add(doc, "drives", drives);
  runner_set_phase(r, "preparing");
  ir->servers = calloc(n ? n : 1, sizeof *ir->servers);
  if (!ir->servers) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (drive_of(ir, i, &req->sources[i], drives, f) < 0) {
      prefix(f, i);
      return -1;
    }
  }
  if (asprintf(&path, "%s/%s", r->rt_dir, INSPECT_DRIVES_FILE) < 0 ||
      json_write_path(path, doc, 0600) < 0) {
    failure_set(f, "internal", "%s: %s", r->rt_dir, strerror(errno));
    return -1;
  }
  return 0;
}

static int run_helper(struct inspect_run *ir, struct job_failure *f)
{
  struct runner *r = ir->r;
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *helper = inspect_helper_path();

  if (!helper || inspect_helper_argv(&a, helper, r->rt_dir) < 0) {
    failure_set(f, "internal", "cannot find uch-inspect: %s",
                strerror(errno));
    return -1;
  }
  if (convert_accel_prepare(r) < 0) {
    failure_set(f, "internal", "setenv: %s", strerror(errno));
    return -1;
  }
  return inspect_helper_run(r, "inspect", &a, "inspect jobs need",
                            "inspect_failed", f);
}

static void copy_key(json_object *to, json_object *from, const char *key)
{
  json_object *v = json_get(from, key);
  json_object_object_add(to, key, v ? json_object_get(v) : NULL);
}

/* result: guest (as docs/api.md names it), kernels, bootloader,
 * filesystems, roots, luks/encrypted, and the verdict. */
static void fill_result(json_object *result, json_object *facts)
{
  static const char *const guest_keys[] = {
    "type", "distro", "major_version", "minor_version", "product_name",
    "arch", "firmware", "hostname", "root", NULL };
  json_object *os = json_get(facts, "os"), *reasons = json_object_new_array();
  json_object *encrypted = json_get(facts, "encrypted");
  bool convertible = inspect_verdict(facts, reasons);

  json_object_object_add(result, "convertible",
                         json_object_new_boolean(convertible));
  json_object_object_add(result, "reasons", reasons);
  if (os) {
    json_object *guest = json_object_new_object();
    for (int i = 0; guest_keys[i]; i++)
      copy_key(guest, os, guest_keys[i]);
    json_object_object_add(result, "guest", guest);
    if (json_get(os, "kernels"))
      copy_key(result, os, "kernels");
    if (json_object_object_get_ex(os, "bootloader", NULL))
      copy_key(result, os, "bootloader");
  } else
    json_object_object_add(result, "guest", NULL);
  copy_key(result, facts, "roots");
  copy_key(result, facts, "filesystems");
  json_object_object_add(result, "luks", json_object_new_boolean(
                           encrypted && json_object_array_length(encrypted)));
  copy_key(result, facts, "encrypted");
}

int inspect_job_run(struct runner *r, const struct job_request *req,
                    json_object *result, struct job_failure *f)
{
  struct inspect_run ir = { .r = r };
  _cleanup_free_ char *facts_path = NULL;
  _cleanup_json_ json_object *facts = NULL;
  int ret = -1;

  if (write_drives(&ir, &req->u.inspect, f) < 0 || run_helper(&ir, f) < 0)
    goto out;
  if (asprintf(&facts_path, "%s/%s", r->rt_dir, INSPECT_FACTS_FILE) < 0 ||
      !(facts = json_read_path(facts_path))) {
    failure_set(f, "inspect_failed", "the inspection wrote no result (see "
                "job.log)");
    goto out;
  }
  fill_result(result, facts);
  runner_log(r, "inspected: %s", json_object_to_json_string_ext(
               json_get(result, "reasons"), JSON_C_TO_STRING_PLAIN));
  runner_set_phase(r, "done");
  ret = 0;
out:
  for (size_t i = 0; i < ir.n_servers; i++)
    endpoint_stop(r, &ir.servers[i]);
  free(ir.servers);
  return ret;
}
