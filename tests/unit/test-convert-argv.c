/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt-v2v command lines of convert jobs, as a person would type them;
 * secrets only ever as file names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/openstack_env.h"
#include "tap.h"
#include "convert/v2v-argv.h"
#include "convert/v2v-block.h"
#include "convert/v2v-vcenter.h"

static char *joined;
static const char *why;
static char parse_why[512];

/* The argv of a request as the worker gets it: parsed by the job type's
 * parse (accepted: the files it names need not be here), "type" added
 * when the text has none.  A request the parser refuses is "(failed)",
 * why its error (which starts with the field). */
static const char *v2v(const char *json, const struct v2v_files *files)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_json_ json_object *req = json_tokener_parse(json);
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };

  free(joined);
  joined = NULL;
  if (!req)
    return "(bad json)";
  if (!json_object_object_get_ex(req, "type", NULL))
    json_object_object_add(req, "type", json_object_new_string("convert"));
  if (request_load(req, &r, &err) < 0) {
    snprintf(parse_why, sizeof parse_why, "%s", err.message);
    why = parse_why;
    return "(failed)";
  }
  if (v2v_argv(&a, &r->u.convert, files, &why) < 0)
    return "(failed)";
  joined = argv_join(&a);
  return joined;
}

static const struct v2v_files mr = { .machine_readable = "/r/v2v.json" };
#define HEAD "virt-v2v --machine-readable=file:/r/v2v.json "
#define LOCAL ",\"output\":{\"local\":{\"dir\":\"/out\"}}"

static void test_inputs(void)
{
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/d/guest.img\"}}" LOCAL "}", &mr),
         HEAD "-i disk /d/guest.img -o local -os /out", "disk input");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/d/g.qcow2\",\"format\":\"qcow2\"}}"
             LOCAL "}", &mr),
         HEAD "-i disk -if qcow2 /d/g.qcow2 -o local -os /out",
         "disk input with its format");
  is_str(v2v("{\"input\":{\"libvirtxml\":{\"path\":\"/d/g.xml\"}}" LOCAL "}", &mr),
         HEAD "-i libvirtxml /d/g.xml -o local -os /out", "libvirt XML input");
  is_str(v2v("{\"input\":{\"ova\":{\"path\":\"/d/g.ova\"}}" LOCAL "}", &mr),
         HEAD "-i ova /d/g.ova -o local -os /out", "OVA input");
  is_str(v2v("{\"input\":{\"vmx\":{\"path\":\"/nfs/ds/g/g.vmx\"}}" LOCAL "}", &mr),
         HEAD "-i vmx /nfs/ds/g/g.vmx -o local -os /out", "local vmx input");
  is_str(v2v("{\"input\":{\"vmx\":{\"ssh\":{\"host\":\"esx1\",\"user\":\"root\","
             "\"port\":2222,\"path\":\"/vmfs/volumes/ds/g/g.vmx\","
             "\"key_file\":\"/etc/uch/esx.key\"}}}" LOCAL "}", &mr),
         HEAD "-i vmx -it ssh ssh://root@esx1:2222/vmfs/volumes/ds/g/g.vmx "
              "-o local -os /out", "vmx over ssh with user and port");
  is_str(v2v("{\"input\":{\"vmx\":{\"ssh\":{\"host\":\"esx1\","
             "\"path\":\"/vmfs/g.vmx\",\"key_file\":\"/k\"}}}" LOCAL "}", NULL),
         "virt-v2v -i vmx -it ssh ssh://esx1/vmfs/g.vmx -o local -os /out",
         "vmx over ssh, defaults; no machine-readable file");
}

#define TP "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"

static void test_vcenter(void)
{
  const struct v2v_files pw = { .machine_readable = "/r/v2v.json",
                                .password = "/r/secrets/input.vcenter.password_file" };

  is_str(v2v("{\"input\":{\"vcenter\":{\"url\":\"vpx://admin@vc/DC/cl/esx?no_verify=1\","
             "\"vm\":\"web 1\",\"password_file\":\"/pw\"}}" LOCAL "}", &pw),
         HEAD "-i libvirt -ic 'vpx://admin@vc/DC/cl/esx?no_verify=1' "
              "-ip /r/secrets/input.vcenter.password_file 'web 1' -o local -os /out",
         "vCenter without VDDK: password as -ip FILE");
  /* port, nfchostport and cookie went: the parser refuses them
   * (tests/requests/bad/545-convert-vddk-unknown-key), so no request
   * could carry them to this command line */
  is_str(v2v("{\"input\":{\"vcenter\":{\"url\":\"vpx://vc/DC/esx\",\"vm\":\"g\","
             "\"password_file\":\"/pw\","
             "\"vddk\":{\"libdir\":\"/opt/vmware-vix-disklib-distrib\","
             "\"thumbprint\":\"" TP "\",\"config\":\"/etc/vddk.conf\","
             "\"transports\":\"nbdssl:nbd\",\"snapshot\":\"snapshot-12\"}}}"
             LOCAL "}", &pw),
         HEAD "-i libvirt -ic vpx://vc/DC/esx -ip /r/secrets/input.vcenter.password_file "
              "-it vddk -io vddk-libdir=/opt/vmware-vix-disklib-distrib "
              "-io vddk-thumbprint=" TP " -io vddk-config=/etc/vddk.conf "
              "-io vddk-transports=nbdssl:nbd -io vddk-snapshot=snapshot-12 g "
              "-o local -os /out",
         "vCenter with every VDDK setting");
  is_str(v2v("{\"input\":{\"vcenter\":{\"url\":\"vpx://vc/DC/esx\"}}" LOCAL "}", &pw),
         "(failed)", "vCenter without vm refused");
  is_str(why, "input.vcenter.vm: is required", "... by the parser, naming "
         "the field");
}

static void test_vcenter_request_shape(void)
{
  const struct v2v_files pw = { .password = "/run/uch/jobs/vc/secrets/input.vcenter.password_file" };

  is_str(v2v("{\"type\":\"convert\",\"name\":\"web\",\"input\":{\"vcenter\":{"
             "\"url\":\"vpx://administrator%40vsphere.local@vc.example.com/DC/cluster/esxi1?no_verify=1\","
             "\"vm\":\"web01\",\"password_file\":\"/etc/uch/vc.pw\"}}" LOCAL "}", &pw),
         "virt-v2v -i libvirt -ic "
         "'vpx://administrator%40vsphere.local@vc.example.com/DC/cluster/esxi1?no_verify=1' "
         "-ip /run/uch/jobs/vc/secrets/input.vcenter.password_file web01 "
         "-o local -os /out -on web",
         "vCenter without VDDK, as a request gives it");
  ok(!strstr(joined, "/etc/uch/vc.pw"), "the request's password file never reaches virt-v2v");
  is_str(v2v("{\"type\":\"convert\",\"input\":{\"vcenter\":{"
             "\"url\":\"vpx://root@vc/DC/esxi1?no_verify=1\",\"vm\":\"db 2\","
             "\"password_file\":\"/etc/uch/vc.pw\",\"vddk\":{"
             "\"libdir\":\"/opt/vmware-vix-disklib-distrib\","
             "\"thumbprint\":\"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01\","
             "\"transports\":\"nbdssl\",\"snapshot\":\"snapshot-7\"}}}" LOCAL "}", &pw),
         "virt-v2v -i libvirt -ic 'vpx://root@vc/DC/esxi1?no_verify=1' "
         "-ip /run/uch/jobs/vc/secrets/input.vcenter.password_file -it vddk "
         "-io vddk-libdir=/opt/vmware-vix-disklib-distrib "
         "-io vddk-thumbprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01 "
         "-io vddk-transports=nbdssl -io vddk-snapshot=snapshot-7 'db 2' "
         "-o local -os /out",
         "vCenter with VDDK, as a request gives it");
}

static void test_vddk_missing(void)
{
  char buf[1024], dir[] = "/tmp/test-vddk-XXXXXX", path[128];
  FILE *f;

  v2v_vddk_missing("/nonexistent/vddk", 0, buf, sizeof buf);
  is_str(buf, "input.vcenter.vddk.libdir: no VDDK library at "
         "/nonexistent/vddk/lib64/libvixDiskLib.so* (VMware's VDDK, unpacked "
         "there); nbdkit has no vddk plugin (Debian's nbdkit ships none: build "
         "nbdkit's plugins/vddk from source, or leave \"vddk\" out)",
         "both missing: both named");
  v2v_vddk_missing("/nonexistent/vddk", 1, buf, sizeof buf);
  is_str(buf, "input.vcenter.vddk.libdir: no VDDK library at "
         "/nonexistent/vddk/lib64/libvixDiskLib.so* (VMware's VDDK, unpacked "
         "there)", "the library missing");
  if (!mkdtemp(dir))
    return;
  snprintf(path, sizeof path, "%s/lib64", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/lib64/libvixDiskLib.so.8", dir);
  if ((f = fopen(path, "w")))
    fclose(f);
  v2v_vddk_missing(dir, 0, buf, sizeof buf);
  is_str(buf, "input.vcenter.vddk: nbdkit has no vddk plugin (Debian's "
         "nbdkit ships none: build nbdkit's plugins/vddk from source, or "
         "leave \"vddk\" out)", "the plugin missing");
  v2v_vddk_missing(dir, 1, buf, sizeof buf);
  is_str(buf, "", "both there: nothing missing");
  unlink(path);
  snprintf(path, sizeof path, "%s/lib64", dir);
  rmdir(path);
  rmdir(dir);
}

static int collect(const char *name, const char *value, void *opaque)
{
  char *buf = opaque;
  size_t n = strlen(buf);
  snprintf(buf + n, 512 - n, "[%s=%s]", name, value);
  return 0;
}

static int openrc(const char *text, char out[512])
{
  out[0] = '\0';
  return openstack_env_parse(text, strlen(text), collect, out);
}

static void test_openstack_env(void)
{
  char vars[512];

  is_int(openrc("# openrc\nexport OS_AUTH_URL=https://ks.example.com:5000/v3\n"
                "\n  OS_USERNAME=\"uch\"\nexport OS_PASSWORD='p@ss w$rd'\n"
                "OS_PROJECT_NAME=prod\r\nOS_REGION_NAME=\n", vars), 0,
         "an openrc file is read");
  is_str(vars, "[OS_AUTH_URL=https://ks.example.com:5000/v3][OS_USERNAME=uch]"
         "[OS_PASSWORD=p@ss w$rd][OS_PROJECT_NAME=prod][OS_REGION_NAME=]",
         "... every OS_* variable, quotes taken off");
  is_int(openrc("OS_AUTH_URL=x\nPATH=/tmp\n", vars), 2,
         "a variable other than OS_* refused, by line number");
  is_int(openrc("OS_PASSWORD=\"$(cat /etc/shadow)\"\n", vars), 1,
         "shell expansion refused");
  is_int(openrc("OS_PASSWORD=a b\n", vars), 1, "an unquoted space refused");
  is_int(openrc("uch:00112233\n", vars), 1, "not an openrc at all");
  is_int(openrc("OS_=x\n", vars), 1, "no name refused");
}

static void test_outputs(void)
{
  const struct v2v_files blk = { .block_dir = "/r/jobs/j/block" };
  const char *luks[] = { "/r/secrets/options.luks_keys.0.key", NULL };
  const struct v2v_files keys = { .luks_keys = luks, .n_luks_keys = 1 };

  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},\"name\":\"web\","
             "\"output\":{\"local\":{\"dir\":\"/out\",\"format\":\"qcow2\","
             "\"allocation\":\"preallocated\"}}}", NULL),
         "virt-v2v -i disk /g -o local -os /out -of qcow2 -oa preallocated -on web",
         "local output, format, allocation, name");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"block\":{\"devices\":[{\"path\":\"/dev/sdx\"},{\"volume\":\"v-2\"}]}},\"name\":\"web\"}", &blk),
         "virt-v2v -i disk /g -o local -os /r/jobs/j/block -of raw -oa preallocated "
         "-on web", "block devices: local output into the device links");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"block\":{\"devices\":[{\"path\":\"/dev/sdx\"},{\"volume\":\"v-2\"}]}},\"name\":\"web\"}", NULL),
         "(failed)", "block devices without the link directory refused");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},\"name\":\"web\","
             "\"output\":{\"openstack\":{\"server_id\":\"conv-appliance 1\","
             "\"guest_id\":\"web-42\",\"volume_type\":\"ssd\","
             "\"verify_server_certificate\":false,"
             "\"credentials\":{\"clouds_yaml\":\"/etc/uch/clouds.yaml\","
             "\"cloud\":\"prod\"}}}}", NULL),
         "virt-v2v -i disk /g -o openstack -os ssd "
         "-oo 'server-id=conv-appliance 1' -oo guest-id=web-42 "
         "-oo verify-server-certificate=false -on web",
         "openstack output: volume type, server and guest ids, no credentials");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"openstack\":{\"server_id\":\"0b6c4f3e-1d2a-4b5c-8d7e-9f0a1b2c3d4e\","
             "\"credentials\":{\"env_file\":\"/etc/uch/openrc\"}}}}", NULL),
         "virt-v2v -i disk /g -o openstack "
         "-oo server-id=0b6c4f3e-1d2a-4b5c-8d7e-9f0a1b2c3d4e",
         "openstack output, defaults");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"openstack\":{\"guest_id\":\"x\"}}}", NULL),
         "(failed)", "openstack without server_id refused");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"kubevirt\":{\"dir\":\"/k\"}}}", NULL),
         "virt-v2v -i disk /g -o kubevirt -os /k", "kubevirt output");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}}", NULL),
         "(failed)", "no output refused");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL ","
             "\"options\":{\"luks_keys\":[{\"device\":\"/dev/sda2\","
             "\"key_file\":\"/k\"}]}}", &keys),
         "virt-v2v -i disk /g -o local -os /out "
         "--key /dev/sda2:file:/r/secrets/options.luks_keys.0.key",
         "LUKS key as a file");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL ","
             "\"options\":{\"luks_keys\":[{\"device\":\"/dev/sda2\","
             "\"key_file\":\"/k\"}]}}", NULL),
         "(failed)", "LUKS key without its file refused");
}

static void test_options(void)
{
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL ","
             "\"options\":{\"root\":\"/dev/sda2\",\"macs\":["
             "{\"mac\":\"52:54:00:01:02:03\",\"network\":\"prod\"},"
             "{\"mac\":\"52:54:00:01:02:04\",\"bridge\":\"br0\"},"
             "{\"mac\":\"52:54:00:01:02:05\",\"ip\":{\"address\":\"10.0.0.5\","
             "\"gateway\":\"10.0.0.1\",\"prefix\":24,"
             "\"nameservers\":[\"10.0.0.2\",\"10.0.0.3\"]}},"
             "{\"mac\":\"52:54:00:01:02:06\",\"ip\":{\"address\":\"10.0.1.5\"}}],"
             "\"extra_args\":[\"-v\",\"-x\"]}}", NULL),
         "virt-v2v -i disk /g -o local -os /out --root=/dev/sda2 "
         "--mac 52:54:00:01:02:03:network:prod --mac 52:54:00:01:02:04:bridge:br0 "
         "--mac 52:54:00:01:02:05:ip:10.0.0.5,10.0.0.1,24,10.0.0.2,10.0.0.3 "
         "--mac 52:54:00:01:02:06:ip:10.0.1.5 -v -x",
         "root, MAC mappings with a static IP, extra args");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL ","
             "\"options\":{\"extra_args\":[\"-os\"]}}", NULL),
         "(failed)", "extra arg changing the output refused");
  ok(!convert_extra_arg_allowed("--keys-from-stdin"), "--keys-from-stdin not allowed");
  ok(!convert_extra_arg_allowed("-q"), "-q (no progress) not allowed");
  ok(!convert_extra_arg_allowed("-v -x"), "no shell strings");
  ok(convert_extra_arg_allowed("--compressed"), "--compressed allowed");
}

static void test_luks_and_appliance(void)
{
  const char *luks[] = { "/run/uch/jobs/j/secrets/options.luks_keys.0.key_file",
                         "/run/uch/jobs/j/secrets/options.luks_keys.1.key_file" };
  const struct v2v_files two = { .luks_keys = luks, .n_luks_keys = 2 };
  const struct v2v_files one = { .luks_keys = luks, .n_luks_keys = 1 };
  const struct v2v_files flags = { .appliance_flags = true };
#define TWO_KEYS ",\"options\":{\"luks_keys\":[" \
  "{\"device\":\"/dev/sda2\",\"key_file\":\"/root/k1\"}," \
  "{\"device\":\"0f8e1ad5-6d7e-4c1c-9e39-0c4a0f3d9b7a\",\"key_file\":\"/root/k2\"}]}"

  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL TWO_KEYS "}", &two),
         "virt-v2v -i disk /g -o local -os /out "
         "--key /dev/sda2:file:/run/uch/jobs/j/secrets/options.luks_keys.0.key_file "
         "--key 0f8e1ad5-6d7e-4c1c-9e39-0c4a0f3d9b7a:file:"
         "/run/uch/jobs/j/secrets/options.luks_keys.1.key_file",
         "two LUKS keys, by device and by UUID, as the job's secret files");
  ok(!strstr(joined, "/root/k1") && !strstr(joined, "/root/k2"),
     "the request's own key files never reach virt-v2v");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL TWO_KEYS "}", &one),
         "(failed)", "a LUKS key without its secret file refused");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL ","
             "\"options\":{\"memsize_mib\":4096,\"smp\":4}}", &flags),
         "virt-v2v -i disk /g -o local -os /out --memsize 4096 --smp 4",
         "appliance size as virt-v2v's options where it has them");
  is_str(v2v("{\"input\":{\"disk\":{\"path\":\"/g\"}}" LOCAL ","
             "\"options\":{\"memsize_mib\":4096}}", NULL),
         "virt-v2v -i disk /g -o local -os /out",
         "appliance size not on the command line of a virt-v2v without them "
         "(LIBGUESTFS_MEMSIZE instead)");
}

static void test_drive_names(void)
{
  char d[8];

  v2v_drive_name(0, d);
  is_str(d, "sda", "disk 1 is NAME-sda");
  v2v_drive_name(25, d);
  is_str(d, "sdz", "disk 26 is NAME-sdz");
}

/* The argv of a typed request made by hand: only what the struct says,
 * each default left to virt-v2v. */
static void test_typed(void)
{
  static struct convert_request rq;
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *s = NULL;
  const char *w = NULL;

  rq.input.kind = CONVERT_IN_OVA;
  rq.input.path = "/d/g.ova";
  rq.input.format = V2V_FORMAT_QCOW2;      /* -if only with -i disk */
  rq.output.kind = CONVERT_OUT_KUBEVIRT;
  rq.output.dir = "/k";
  rq.output.format = V2V_FORMAT_RAW;       /* -of only with -o local */
  rq.options.root = V2V_ROOT_SINGLE;
  rq.options.n_macs = 1;
  rq.options.macs[0] = (struct v2v_mac) {
    .mac = "52:54:00:00:00:09", .kind = V2V_MAC_IP, .address = "fd00::5",
    .gateway = "fd00::fe", .prefix = 64,
    .n_nameservers = 2, .nameservers = { "fd00::1", "fd00::2" } };
  ok(v2v_argv(&a, &rq, NULL, &w) == 0 && (s = argv_join(&a)), "typed request");
  is_str(s, "virt-v2v -i ova /d/g.ova -o kubevirt -os /k --root=single "
         "--mac 52:54:00:00:00:09:ip:fd00::5,fd00::fe,64,fd00::1,fd00::2",
         "formats only where they apply; the IP fields by position");
  argv_free(&a);
  free(s);
  s = NULL;
  rq.output.kind = CONVERT_OUT_LOCAL;
  rq.output.allocation = V2V_ALLOC_SPARSE;
  rq.options = (struct v2v_options) { .memsize_mib = 512, .smp = 3 };
  const struct v2v_files flags = { .appliance_flags = true };
  ok(v2v_argv(&a, &rq, &flags, &w) == 0 && (s = argv_join(&a)), "typed request 2");
  is_str(s, "virt-v2v -i ova /d/g.ova -o local -os /k -of raw -oa sparse "
         "--memsize 512 --smp 3", "local output with format, allocation, size");
}

int main(void)
{
  test_drive_names();
  test_luks_and_appliance();
  test_inputs();
  test_vcenter();
  test_vcenter_request_shape();
  test_vddk_missing();
  test_openstack_env();
  test_outputs();
  test_options();
  test_typed();
  free(joined);
  return tap_done();
}
