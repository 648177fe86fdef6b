/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every command line the worker runs, as a string: what a person would
 * paste into a shell to do the same by hand. */
#include <stdio.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "transfer/link-sizing.h"
#include "tap.h"
#include "transfer/tool-argv.h"

static char *joined;

/* The nbdkit command line of SOURCE, as the worker has it: parsed by
 * the request parser (as uchd accepted it), the password a file. */
static const char *source_ex(const char *json, const char *password_file,
                             const char *vddk_config)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *req = NULL;
  _cleanup_json_ json_object *o = NULL;
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };
  const struct rq_source *src;

  free(joined);
  joined = NULL;
  if (asprintf(&req, "{\"type\":\"copy\",\"disks\":[{\"source\":%s,"
               "\"destination\":{\"path\":\"/d\"}}]}", json) < 0 ||
      !(o = json_tokener_parse(req)) || request_load(o, &r, &err) < 0)
    return "(invalid)";
  src = &r->u.copy.disks[0].source;
  if (nbdkit_filtered_source_argv(&a, &(struct nbdkit_source){
                                        .path = src->path,
                                        .nbdkit = src->kind == SOURCE_NBDKIT
                                                    ? &src->nbdkit : NULL,
                                        .password_file = password_file,
                                        .vddk_config = vddk_config },
                                  NULL, "/r/s.sock", "/r/s.pid") < 0)
    return "(failed)";
  joined = argv_join(&a);
  return joined;
}

static const char *source(const char *json, const char *password_file)
{
  return source_ex(json, password_file, NULL);
}

#define HEAD "nbdkit --exit-with-parent -r -f -P /r/s.pid -U /r/s.sock "

static void test_sources(void)
{
  is_str(source("{\"path\":\"/dev/vdb\"}", NULL),
         HEAD "file file=/dev/vdb", "path source: file plugin");
  is_str(source("{\"nbdkit\":{\"plugin\":\"file\",\"file\":\"/a b\"}}", NULL),
         HEAD "file 'file=/a b'", "file plugin, quoted");
  is_str(source("{\"nbdkit\":{\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/d\","
                "\"user\":\"u\",\"port\":2222,\"known_hosts\":\"/k\","
                "\"verify_remote_host\":false,\"identity\":\"/id\"}}", NULL),
         HEAD "ssh host=h path=/d user=u port=2222 known-hosts=/k "
              "verify-remote-host=false identity=/id",
         "ssh: keys renamed, int and bool");
  is_str(source("{\"nbdkit\":{\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/d\","
                "\"password\":\"***\"}}", "/r/secrets/disks.0.source.nbdkit.password"),
         HEAD "ssh host=h path=/d password=+/r/secrets/disks.0.source.nbdkit.password",
         "ssh: password only as +FILE");
  is_str(source("{\"nbdkit\":{\"plugin\":\"curl\",\"url\":\"https://x/d.img\","
                "\"sslverify\":true,\"timeout\":30,\"cainfo\":\"/ca\","
                "\"password_file\":\"/p\"}}", "/r/pw"),
         HEAD "curl url=https://x/d.img sslverify=true timeout=30 cainfo=/ca "
              "password=+/r/pw",
         "curl: password_file becomes the stored secret");
  is_str(source("{\"nbdkit\":{\"plugin\":\"nbd\",\"uri\":\"nbd://h/x\"}}", NULL),
         HEAD "nbd uri=nbd://h/x", "nbd plugin");
  is_str(source("{\"nbdkit\":{\"plugin\":\"vddk\",\"server\":\"esx\","
                "\"vm\":\"moref=vm-1\",\"file\":\"[ds] vm/vm.vmdk\","
                "\"libdir\":\"/opt/vddk\",\"thumbprint\":\"AA:BB\","
                "\"user\":\"root\",\"snapshot\":\"snapshot-1\","
                "\"transports\":\"nbdssl:nbd\",\"config\":\"/c\","
                "\"password\":\"***\"}}", "/r/pw"),
         HEAD "vddk server=esx vm=moref=vm-1 'file=[ds] vm/vm.vmdk' "
              "libdir=/opt/vddk thumbprint=AA:BB user=root snapshot=snapshot-1 "
              "transports=nbdssl:nbd config=/c password=+/r/pw",
         "vddk: every parameter, password as +FILE");
  is_str(source("{\"nbdkit\":{\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/d\","
                "\"password\":\"***\"}}", NULL),
         "(failed)", "a password without its file is refused");
  is_str(source("{\"nbdkit\":{\"plugin\":\"vddk\",\"server\":\"esx\","
                "\"vm\":\"moref=vm-1\",\"file\":\"[ds] vm/vm.vmdk\","
                "\"transports\":\"nbdssl\",\"compression\":\"fastlz\"}}", NULL),
         HEAD "vddk server=esx vm=moref=vm-1 'file=[ds] vm/vm.vmdk' "
              "transports=nbdssl compression=fastlz",
         "vddk: compression= passed");
  {
    static const char vddk[] =
      "{\"nbdkit\":{\"plugin\":\"vddk\",\"server\":\"esx\","
      "\"vm\":\"moref=vm-1\",\"file\":\"[ds] vm/vm.vmdk\","
      "\"config_entries\":{\"vixDiskLib.nfcAio.Session.BufSizeIn64KB\":16,"
      "\"vixDiskLib.nfcAio.Session.BufCount\":4}}}";
    _cleanup_json_ json_object *o = json_tokener_parse(
      "{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{"
      "\"plugin\":\"vddk\",\"server\":\"esx\",\"vm\":\"moref=vm-1\","
      "\"file\":\"f\",\"config_entries\":{"
      "\"vixDiskLib.nfcAio.Session.BufSizeIn64KB\":16,"
      "\"vixDiskLib.nfcAio.Session.BufCount\":4}}},"
      "\"destination\":{\"path\":\"/d\"}}]}");
    _cleanup_(job_request_freep) struct job_request *r = NULL;
    _cleanup_free_ char *text = NULL;
    struct uch_error err = { 0 };

    ok(request_load(o, &r, &err) == 0, "vddk with config_entries parsed");
    text = r ? vddk_config_text(&r->u.copy.disks[0].source.nbdkit) : NULL;
    is_str(text, "vixDiskLib.nfcAio.Session.BufSizeIn64KB=16\n"
                 "vixDiskLib.nfcAio.Session.BufCount=4\n",
           "vddk: config_entries as VixDiskLib's config file");
    is_str(source(vddk, NULL), "(failed)",
           "vddk: config_entries never reach the command line as they are");
    is_str(source_ex(vddk, NULL, "/r/src0-vddk.conf"),
           HEAD "vddk server=esx vm=moref=vm-1 'file=[ds] vm/vm.vmdk' "
                "config=/r/src0-vddk.conf",
           "vddk: config_entries become config=FILE");
  }
  is_str(source("{\"nbdkit\":{\"plugin\":\"ssh\",\"host\":\"h\","
                "\"path\":\"/d\",\"user\":null}}", NULL),
         HEAD "ssh host=h path=/d", "a null key is absent");
}

static void test_export(void)
{
  _cleanup_argv_ struct argv u = { 0 }, t = { 0 };
  _cleanup_free_ char *su = NULL, *st = NULL;
  struct export_listen lu = { .unix_sock = "/r/nbd.sock" };
  struct export_listen lt = { .addr = "0.0.0.0", .port = "10809",
                              .psk_file = "/r/tls.psk",
                              .exit_after_last_client = true };

  nbdkit_export_argv(&u, &lu, "/r/nbdkit.pid", "/r/exports");
  su = argv_join(&u);
  is_str(su, "nbdkit --exit-with-parent -r -f -P /r/nbdkit.pid "
             "-U /r/nbd.sock file dir=/r/exports", "export over Unix");
  nbdkit_export_argv(&t, &lt, "/r/nbdkit.pid", "/r/exports");
  st = argv_join(&t);
  is_str(st, "nbdkit --exit-with-parent -r -f -P /r/nbdkit.pid "
             "-i 0.0.0.0 -p 10809 --tls=require --tls-psk=/r/tls.psk "
             "--filter=exitlast file dir=/r/exports",
         "export over TCP, TLS-PSK required, exitlast");
}

/* A block device among the disks: our zeroscan filter in front of the
 * file plugin, given by its path (nbdkit loads a filter by path when
 * the name has a slash). */
static void test_export_block(void)
{
  _cleanup_argv_ struct argv u = { 0 }, t = { 0 };
  _cleanup_free_ char *su = NULL, *st = NULL;
  struct export_listen lu = {
    .unix_sock = "/r/nbd.sock",
    .zeroscan_filter = "/usr/libexec/uch/uch-zeroscan-filter.so" };
  struct export_listen lt = {
    .addr = "0.0.0.0", .port = "10809", .psk_file = "/r/tls.psk",
    .exit_after_last_client = true,
    .zeroscan_filter = "/usr/libexec/uch/uch-zeroscan-filter.so" };

  nbdkit_export_argv(&u, &lu, "/r/nbdkit.pid", "/r/exports");
  su = argv_join(&u);
  is_str(su, "nbdkit --exit-with-parent -r -f -P /r/nbdkit.pid "
             "-U /r/nbd.sock "
             "--filter=/usr/libexec/uch/uch-zeroscan-filter.so "
             "file dir=/r/exports", "export of a block device: zeroscan");
  nbdkit_export_argv(&t, &lt, "/r/nbdkit.pid", "/r/exports");
  st = argv_join(&t);
  is_str(st, "nbdkit --exit-with-parent -r -f -P /r/nbdkit.pid "
             "-i 0.0.0.0 -p 10809 --tls=require --tls-psk=/r/tls.psk "
             "--filter=exitlast "
             "--filter=/usr/libexec/uch/uch-zeroscan-filter.so "
             "file dir=/r/exports",
         "export of a block device over TLS: exitlast, then zeroscan");
}

/* until=disks-done: our disksdone filter, outside zeroscan, told the
 * export names to wait for and the idle time after the plugin's
 * parameters. */
static void test_export_disks_done(void)
{
  _cleanup_argv_ struct argv t = { 0 };
  _cleanup_free_ char *st = NULL;
  const char *const names[] = { "vm1-sda", "vm2-sda" };
  struct export_listen lt = {
    .addr = "0.0.0.0", .port = "10809", .psk_file = "/r/tls.psk",
    .zeroscan_filter = "/l/uch-zeroscan-filter.so",
    .disksdone_filter = "/l/uch-disksdone-filter.so",
    .names = names, .n_names = 2, .idle_s = 5 };

  nbdkit_export_argv(&t, &lt, "/r/nbdkit.pid", "/r/exports");
  st = argv_join(&t);
  is_str(st, "nbdkit --exit-with-parent -r -f -P /r/nbdkit.pid "
             "-i 0.0.0.0 -p 10809 --tls=require --tls-psk=/r/tls.psk "
             "--filter=/l/uch-disksdone-filter.so "
             "--filter=/l/uch-zeroscan-filter.so "
             "file dir=/r/exports disksdone-export=vm1-sda "
             "disksdone-export=vm2-sda disksdone-idle=5",
         "export until disks done: the filter, its exports and idle time");
  argv_free(&t);
  free(st);
  lt.disksdone_state = "/r/disksdone.state";
  nbdkit_export_argv(&t, &lt, "/r/nbdkit.pid", "/r/exports");
  st = argv_join(&t);
  ok(strstr(st, "disksdone-idle=5 disksdone-state=/r/disksdone.state") &&
     strstr(st, "disksdone-state") == st + strlen(st) -
       strlen("disksdone-state=/r/disksdone.state"),
     "... and where it says idle or serving, last");
}

static void test_qemu_nbdcopy(void)
{
  _cleanup_argv_ struct argv c = { 0 }, q = { 0 }, n1 = { 0 }, n2 = { 0 },
                             n3 = { 0 };
  _cleanup_free_ char *sc = NULL, *sq = NULL, *s1 = NULL, *s2 = NULL,
                         *s3 = NULL;

  qemu_img_create_argv(&c, "/d/vm.qcow2", 2147483648ULL);
  is_str(sc = argv_join(&c), "qemu-img create -f qcow2 /d/vm.qcow2 2147483648",
         "qemu-img create");
  qemu_nbd_argv(&q, "/d/vm.qcow2", "/r/d.sock", "/r/d.pid");
  is_str(sq = argv_join(&q),
         "qemu-nbd -f qcow2 --socket /r/d.sock --pid-file=/r/d.pid "
         "--persistent --shared=4 --cache=writeback --discard=unmap "
         "--detect-zeroes=unmap /d/vm.qcow2", "qemu-nbd");
  nbdcopy_argv(&n1, 3, false, false, NULL, "nbd+unix:///?socket=/r/s.sock", "/d/out.img");
  is_str(s1 = argv_join(&n1), "nbdcopy --flush --progress=3 "
         "'nbd+unix:///?socket=/r/s.sock' /d/out.img", "nbdcopy");
  nbdcopy_argv(&n2, 3, true, false, NULL, "nbd://h/", "/dev/vdc");
  is_str(s2 = argv_join(&n2), "nbdcopy --flush --progress=3 "
         "--destination-is-zero nbd://h/ /dev/vdc",
         "nbdcopy --destination-is-zero only when asked");
  nbdcopy_argv(&n3, 3, false, true, NULL, "nbd://h/", "/d/out.img");
  is_str(s3 = argv_join(&n3), "nbdcopy --flush --progress=3 "
         "--connections=1 --requests=4 nbd://h/ /d/out.img",
         "nbdcopy under a bandwidth limit: 1 MiB in flight");

  /* a network link: 200 Mbit/s, 100 ms, as qcow2's nbdcopy sizes it */
  _cleanup_argv_ struct argv n4 = { 0 };
  _cleanup_free_ char *s4 = NULL;
  struct link_sizing sz;
  link_sizing_compute(&sz, 100, false, 200000000, 0, QEMU_NBD_CLIENTS,
                      32u << 20);
  nbdcopy_argv(&n4, 3, false, true, &sz, "nbd://h/", "/d/out.img");
  is_str(s4 = argv_join(&n4), "nbdcopy --flush --progress=3 "
         "--connections=4 --threads=4 --requests=2 --request-size=1048576 "
         "nbd://h/ /d/out.img",
         "nbdcopy across a link: sized for it, the limit included");
}

int main(void)
{
  test_sources();
  test_export();
  test_export_block();
  test_export_disks_done();
  test_qemu_nbdcopy();
  free(joined);
  return tap_done();
}
