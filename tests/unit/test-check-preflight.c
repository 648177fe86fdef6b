/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl check's verdicts over made-up facts: what fails, what only
 * warns, and the words a person reads; the TLS thumbprint's format and
 * the appliance check's command line. */
#include <string.h>

#include "check/caps.h"
#include "check/hostcheck.h"
#include "check/preflight.h"
#include "check/probe.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"

static json_object *find(json_object *checks, const char *name)
{
  for (size_t i = 0; i < json_object_array_length(checks); i++) {
    json_object *c = json_object_array_get_idx(checks, i);
    if (strcmp(json_get_string(c, "name"), name) == 0)
      return c;
  }
  return NULL;
}

static const char *status(json_object *checks, const char *name)
{
  json_object *c = find(checks, name);
  return c ? json_get_string(c, "status") : "(none)";
}

static const char *message(json_object *checks, const char *name)
{
  json_object *c = find(checks, name);
  return c ? json_get_string(c, "message") : "(none)";
}

#define GOOD \
  "{\"nbdkit\":{\"version\":\"1.32.5\",\"plugins\":[\"file\",\"vddk\"]}," \
  "\"nbdcopy\":{\"version\":\"1.14.2\"},\"qemu-nbd\":{\"version\":\"7.2\"}," \
  "\"qemu-img\":{\"version\":\"7.2\"},\"virt-v2v\":{\"version\":\"2.2.0\"}," \
  "\"virt-v2v-in-place\":{\"path\":\"/usr/libexec/virt-v2v-in-place\"}," \
  "\"kvm\":true,\"vddk\":true," \
  "\"vddk_library\":{\"libdir\":\"/opt/vddk\",\"found\":true}," \
  "\"guestfs\":{\"ok\":true,\"checked_at\":0,\"message\":\"boots\"}," \
  "\"space\":{\"state\":{\"dir\":\"/var/lib/uch\",\"free_bytes\":536870912}," \
  "\"runtime\":{\"dir\":\"/run/uch\",\"free_bytes\":104857600}," \
  "\"tmp\":{\"dir\":\"/var/tmp\",\"free_bytes\":null}}}"

static void test_good_host(void)
{
  _cleanup_json_ json_object *caps = json_tokener_parse(GOOD);
  _cleanup_json_ json_object *checks = json_object_new_array();
  struct preflight_opts o = { 0 };

  preflight_judge(caps, &o, checks);
  is_str(status(checks, "virt-v2v"), "ok", "virt-v2v found");
  is_str(message(checks, "virt-v2v"), "virt-v2v 2.2.0", "with its version");
  is_str(message(checks, "virt-v2v-in-place"), "/usr/libexec/virt-v2v-in-place",
         "virt-v2v-in-place where it is");
  is_str(message(checks, "nbdkit"), "nbdkit 1.32.5, plugins: file vddk",
         "nbdkit's version and plugins");
  is_str(status(checks, "vddk-plugin"), "ok", "vddk plugin");
  is_str(status(checks, "vddk-library"), "ok", "vddk library");
  is_str(status(checks, "kvm"), "ok", "kvm");
  is_str(message(checks, "libguestfs"), "the appliance boots (checked "
         "1970-01-01T00:00:00Z)", "appliance, with when it was checked");
  is_str(status(checks, "space-state"), "fail",
         "512 MiB for virt-v2v's temp files (in the jobs' scratch dirs) fails");
  ok(strstr(message(checks, "space-state"), "512 MiB free, below 1.0 GiB") != NULL,
     "saying how much and how much is needed");
  is_str(message(checks, "space-runtime"), "/run/uch: 100 MiB free",
         "100 MiB of runtime tmpfs is plenty");
  is_str(status(checks, "space-tmp"), "fail", "a folder that is not there fails");
  ok(!preflight_passed(checks), "so the check fails");
}

static void test_debian_without_vddk(void)
{
  _cleanup_json_ json_object *caps = json_tokener_parse(GOOD);
  _cleanup_json_ json_object *checks = json_object_new_array();
  _cleanup_json_ json_object *checks2 = json_object_new_array();
  struct preflight_opts o = { .quick = true };

  json_object_object_add(caps, "vddk", json_object_new_boolean(false));
  json_object_object_add(caps, "kvm", json_object_new_boolean(false));
  json_object_object_add(caps, "guestfs", NULL);
  json_object_object_add(caps, "virt-v2v", NULL);
  json_object_object_del(json_get(caps, "space"), "runtime");
  json_object_object_del(json_get(caps, "space"), "tmp");
  json_object_object_add(json_get(caps, "vddk_library"), "found",
                         json_object_new_boolean(false));
  preflight_judge(caps, &o, checks);
  is_str(status(checks, "vddk-plugin"), "warn", "no vddk plugin: a warning");
  ok(strstr(message(checks, "vddk-plugin"), "Debian's nbdkit has no vddk "
            "plugin") != NULL, "saying Debian's nbdkit has none");
  is_str(status(checks, "kvm"), "warn", "no KVM only warns");
  is_str(message(checks, "kvm"), "no usable /dev/kvm (absent, no hardware "
         "virtualisation, or no access): conversions run the libguestfs "
         "appliance under TCG, many times slower", "saying what it means");
  {
    _cleanup_json_ json_object *k = json_object_new_array();
    json_object_object_add(caps, "kvm_message", json_object_new_string(
                             "qemu-system-x86_64 cannot set a vCPU up on "
                             "/dev/kvm: failed to set MSR 0x10a to 0x69"));
    preflight_judge(caps, &o, k);
    is_str(status(k, "kvm"), "warn", "KVM that cannot run a vCPU only warns");
    is_str(message(k, "kvm"), "no usable KVM (qemu-system-x86_64 cannot set a "
           "vCPU up on /dev/kvm: failed to set MSR 0x10a to 0x69): conversions "
           "run the libguestfs appliance under TCG, many times slower",
           "saying what qemu said");
    json_object_object_del(caps, "kvm_message");
  }
  is_str(message(checks, "libguestfs"), "appliance not checked (--quick)",
         "--quick skips the appliance");
  is_str(status(checks, "virt-v2v"), "fail", "no virt-v2v fails");
  is_str(message(checks, "virt-v2v"), "virt-v2v is not installed (needed for "
         "convert jobs; Debian: apt-get install virt-v2v)", "naming the package");
  json_object_object_add(caps, "virt-v2v", json_tokener_parse("{\"version\":\"2\"}"));
  o.vddk_required = true;
  preflight_judge(caps, &o, checks2);
  is_str(status(checks2, "vddk-library"), "fail",
         "a VDDK libdir named but empty fails");
  ok(!preflight_passed(checks2), "the check fails then");
}

static void test_no_nbdkit(void)
{
  _cleanup_json_ json_object *caps = json_tokener_parse(GOOD);
  _cleanup_json_ json_object *checks = json_object_new_array();
  struct preflight_opts o = { 0 };

  json_object_object_add(caps, "nbdkit", NULL);
  preflight_judge(caps, &o, checks);
  is_str(status(checks, "nbdkit"), "fail", "no nbdkit fails");
  ok(find(checks, "vddk-plugin") == NULL, "nothing said of its plugins");
}

/* The Debian appliance image leaves libguestfs out: named as not
 * installed, not as an appliance that does not boot. */
static void test_no_guestfish(void)
{
  _cleanup_json_ json_object *caps = json_tokener_parse(GOOD);
  _cleanup_json_ json_object *checks = json_object_new_array();
  struct preflight_opts o = { 0 };

  json_object_object_add(caps, "guestfs", json_tokener_parse(
    "{\"installed\":false,\"ok\":false,\"checked_at\":0,"
    "\"message\":\"guestfish is not installed\"}"));
  preflight_judge(caps, &o, checks);
  is_str(status(checks, "libguestfs"), "fail", "no guestfish fails");
  is_str(message(checks, "libguestfs"), "libguestfs is not installed: no "
         "guestfish on PATH (needed for convert, inplace and inspect jobs; "
         "Debian: apt-get install guestfish)", "naming guestfish and its package");
}

static void test_pure_bits(void)
{
  const unsigned char sha1[20] = { 0xb3, 0x1f, 0x94, 0x40, 0x74, 0xac, 0xb3,
                                   0x6d, 0x2d, 0x77, 0x1f, 0xfb, 0x12, 0xcc,
                                   0xf3, 0xca, 0xcb, 0x25, 0xce, 0xf9 };
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *s = NULL, *cache = probe_guestfs_cache_path("/var/lib/uch");
  char out[60], b[32];

  hostcheck_thumbprint_format(sha1, out);
  is_str(out, "B3:1F:94:40:74:AC:B3:6D:2D:77:1F:FB:12:CC:F3:CA:CB:25:CE:F9",
         "thumbprint as vddk-thumbprint= takes it");
  probe_guestfs_argv(&a);
  is_str(s = argv_join(&a), "guestfish --ro -a /dev/null run", "appliance check");
  is_str(cache, "/var/lib/uch/check/guestfs.json", "its cache");
  _cleanup_free_ char *f1 = probe_guestfs_failure(
    "noise\n*stdin*:0: libguestfs: error: cannot find any suitable libguestfs "
    "supermin, fixed or old-style appliance on LIBGUESTFS_PATH\nmore\n", 256);
  _cleanup_free_ char *f2 = probe_guestfs_failure("nothing useful\n", 3 << 8);
  is_str(f1, "libguestfs: error: cannot find any suitable libguestfs supermin, "
         "fixed or old-style appliance on LIBGUESTFS_PATH",
         "appliance failure: libguestfs's own line");
  is_str(f2, "guestfish exited with status 3", "else the exit status");
  preflight_bytes(b, 512LL * 1024 * 1024);
  is_str(b, "512 MiB", "MiB");
  preflight_bytes(b, 3LL * 1024 * 1024 * 1024 / 2);
  is_str(b, "1.5 GiB", "GiB");
}

/* The document read once into typed facts: what the verdicts judge. */
static void test_caps_typed(void)
{
  _cleanup_json_ json_object *doc = json_tokener_parse(GOOD);
  _cleanup_json_ json_object *none = json_tokener_parse("{\"nbdkit\":null,"
    "\"guestfs\":{\"installed\":false}}");
  struct host_caps c;

  caps_parse(doc, &c);
  ok(c.virt_v2v.present && strcmp(c.virt_v2v.version, "2.2.0") == 0 &&
     c.virt_v2v_in_place.present && !c.virt_v2v_in_place.version,
     "tools present, with a version where there is one");
  ok(c.nbdkit.present && c.n_plugins == 2 && strcmp(c.plugins[1], "vddk") == 0,
     "nbdkit and its plugins");
  ok(c.vddk_plugin && c.vddk_found && strcmp(c.vddk_libdir, "/opt/vddk") == 0 &&
     c.kvm, "vddk and kvm flags");
  ok(c.guestfs == CAPS_GUESTFS_OK && c.guestfs_checked_at == 0, "appliance ok");
  ok(c.space_state.present && c.space_state.known &&
     c.space_state.free_bytes == 536870912 && c.space_tmp.present &&
     !c.space_tmp.known, "space known, and not known (null)");
  caps_parse(none, &c);
  ok(!c.nbdkit.present && !c.virt_v2v.present && c.n_plugins == 0 &&
     c.guestfs == CAPS_GUESTFS_NOT_INSTALLED && !c.space_state.present,
     "absent and null facts are absent");
}

int main(void)
{
  test_caps_typed();
  test_good_host();
  test_debian_without_vddk();
  test_no_nbdkit();
  test_no_guestfish();
  test_pure_bits();
  return tap_done();
}
