/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command lines of an inplace job, as a person would type them:
 * the overlay over each disk, virt-v2v-in-place on the domain XML, and
 * the commit that follows a successful conversion. */
#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"
#include "convert/v2v-argv.h"
#include "transfer/tool-argv.h"

static char *joined;

static const char *done(struct argv *a, int r)
{
  free(joined);
  joined = r < 0 ? NULL : argv_join(a);
  argv_free(a);
  return joined ? joined : "(failed)";
}

static const char *inplace(const char *json)
{
  struct argv a = { 0 };
  _cleanup_json_ json_object *req = json_tokener_parse(json);
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };
  const char *why;
  const struct v2v_files files = { .machine_readable = "/r/v2v-messages.json" };

  if (!req)
    return "(bad json)";
  /* the request's options, as the parser typed them (accepted: the
   * files it names need not be here) */
  if (request_load(req, &r, &err) < 0)
    return done(&a, -1);
  return done(&a, v2v_inplace_argv(&a, "/usr/libexec/virt-v2v-in-place",
                                   &r->u.inplace.guest.options, &files,
                                   "/r/domain.xml", &why));
}

static void test_overlay_and_commit(void)
{
  struct argv a = { 0 };

  is_str(done(&a, qemu_img_overlay_argv(&a, "/var/lib/uch/d/web1.img", "raw",
                                        "/run/uch/jobs/j/overlay-0.qcow2")),
         "qemu-img create -f qcow2 -b /var/lib/uch/d/web1.img -F raw "
         "/run/uch/jobs/j/overlay-0.qcow2", "overlay over a raw disk");
  is_str(done(&a, qemu_img_overlay_argv(&a, "/dev/vdb", "raw",
                                        "/r/overlay-1.qcow2")),
         "qemu-img create -f qcow2 -b /dev/vdb -F raw /r/overlay-1.qcow2",
         "overlay over a volume's device");
  is_str(done(&a, qemu_img_overlay_argv(&a, "/d/g.qcow2", "qcow2",
                                        "/r/overlay-0.qcow2")),
         "qemu-img create -f qcow2 -b /d/g.qcow2 -F qcow2 /r/overlay-0.qcow2",
         "overlay over a qcow2 disk");
  is_str(done(&a, qemu_img_commit_argv(&a, "/r/overlay-0.qcow2")),
         "qemu-img commit -f qcow2 -d /r/overlay-0.qcow2", "commit");
}

#define HEAD "/usr/libexec/virt-v2v-in-place " \
  "--machine-readable=file:/r/v2v-messages.json -i libvirtxml "

static void test_v2v_in_place(void)
{
  is_str(inplace("{\"type\":\"inplace\",\"name\":\"w\","
                 "\"disks\":[{\"path\":\"/d/w.img\"}]}"),
         HEAD "/r/domain.xml", "no options");
  is_str(inplace("{\"type\":\"inplace\",\"name\":\"w\","
                 "\"disks\":[{\"volume\":\"v1\"}],"
                 "\"options\":{\"root\":\"/dev/sda2\","
                 "\"macs\":[{\"mac\":\"52:54:00:00:00:01\",\"bridge\":\"br0\"},"
                 "{\"mac\":\"52:54:00:00:00:02\",\"ip\":{\"address\":\"10.0.0.5\","
                 "\"gateway\":\"10.0.0.1\",\"prefix\":24}}],"
                 "\"extra_args\":[\"-v\",\"-x\"]}}"),
         HEAD "--root=/dev/sda2 --mac 52:54:00:00:00:01:bridge:br0 "
         "--mac 52:54:00:00:00:02:ip:10.0.0.5,10.0.0.1,24 -v -x /r/domain.xml",
         "root, MAC mappings and extra args as for convert");
  is_str(inplace("{\"type\":\"inplace\",\"name\":\"w\",\"disks\":[{\"path\":"
                 "\"/d/w.img\"}],\"options\":{\"extra_args\":[\"-o\"]}}"),
         "(failed)", "an argument not allowed is refused here too");
}

int main(void)
{
  test_overlay_and_commit();
  test_v2v_in_place();
  free(joined);
  return tap_done();
}
