/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The health probe's command lines and how a version is picked out of
 * a tool's --version output. */
#include <stdlib.h>
#include <string.h>

#include "check/probe.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"

static void version_is(const char *text, const char *want)
{
  _cleanup_free_ char *got = probe_version_of(text);
  is_str(got, want, "version %s from '%.*s'", want ? want : "none",
         (int)strcspn(text, "\n"), text);
}

int main(void)
{
  _cleanup_argv_ struct argv a = { 0 }, b = { 0 };
  _cleanup_free_ char *sa = NULL, *sb = NULL;

  probe_version_argv(&a, "qemu-img");
  is_str(sa = argv_join(&a), "qemu-img --version", "version argv");
  probe_nbdkit_config_argv(&b);
  is_str(sb = argv_join(&b), "nbdkit --dump-config", "nbdkit config argv");
  {
    _cleanup_argv_ struct argv c = { 0 };
    _cleanup_free_ char *sc = NULL;
    probe_nbdkit_plugin_argv(&c, "vddk");
    is_str(sc = argv_join(&c), "nbdkit vddk --version",
           "a plugin asked as nbdkit-probing(1) says");
  }
  is_int(probe_nbdkit_plugin("file"), 1, "nbdkit's file plugin is here");
  is_int(probe_nbdkit_plugin("uch-no-such-plugin"), 0,
         "a plugin that is not: 0");
  {
    const char *path = getenv("PATH");
    _cleanup_free_ char *saved = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1);
    is_int(probe_nbdkit_vddk(), -1, "no nbdkit at all: -1");
    if (saved)
      setenv("PATH", saved, 1);
  }

  {
    _cleanup_argv_ struct argv k = { 0 };
    _cleanup_free_ char *sk = NULL, *f1 = NULL, *f2 = NULL, *f3 = NULL;
    _cleanup_free_ char *why = NULL;
    probe_kvm_argv(&k);
    is_str(sk = argv_join(&k), "qemu-system-x86_64 -machine accel=kvm -cpu host "
           "-display none -nodefaults -m 16 -S -monitor stdio",
           "KVM tried as libguestfs's qemu would take it, stopped");
    /* qemu 7.2 on nested kvm-pvm, its monitor's banner first */
    f1 = probe_kvm_failure("QEMU 7.2.22 monitor - type 'help' for more "
                           "information\n(qemu) qemu-system-x86_64: error: "
                           "failed to set MSR 0x10a to 0x69\nqemu-system-x86_64:"
                           " ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs:"
                           " Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.\n",
                           6 /* SIGABRT */);
    is_str(f1, "failed to set MSR 0x10a to 0x69", "qemu's error line, not "
           "its assertion");
    f2 = probe_kvm_failure("qemu-system-x86_64: Could not access KVM kernel "
                           "module: Permission denied\nqemu-system-x86_64: "
                           "failed to initialize kvm: Permission denied\n",
                           1 << 8);
    is_str(f2, "failed to initialize kvm: Permission denied",
           "else its last line naming it");
    f3 = probe_kvm_failure("", 9);
    is_str(f3, "qemu-system-x86_64 was killed by signal 9", "else how it ended");
    const char *path = getenv("PATH");
    _cleanup_free_ char *saved = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1);
    is_int(probe_kvm(&why), PROBE_KVM_NONE, "no qemu (or no /dev/kvm): NONE, "
           "libguestfs takes TCG itself");
    ok(why && (strstr(why, "qemu-system-x86_64 is not installed") ||
               strncmp(why, "/dev/kvm", 8) == 0), "saying why: %s", why);
    if (saved)
      setenv("PATH", saved, 1);
  }

  version_is("nbdcopy 1.14.2\nlibnbd 1.14.2\n", "1.14.2");
  version_is("qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7)\nCopyright", "7.2.22");
  version_is("virt-v2v 2.2.0\n", "2.2.0");
  version_is("nbdkit 1.32.5", "1.32.5");
  version_is("no digits here\n1.0 on the next line\n", NULL);
  version_is("", NULL);

  json_object *caps = probe_capabilities(NULL);
  ok(caps && json_object_is_type(caps, json_type_object), "capabilities");
  json_object *v;
  ok(json_object_object_get_ex(caps, "kvm", &v) &&
     json_object_is_type(v, json_type_boolean), "kvm is a boolean");
  v = json_get(caps, "kvm_message");
  ok(json_object_is_type(v, json_type_string), "kvm_message says what was "
     "found: %s", json_object_get_string(v));
  ok(json_object_object_get_ex(caps, "vddk", &v) &&
     json_object_is_type(v, json_type_boolean), "vddk is a boolean");
  ok(json_object_object_get_ex(caps, "nbdkit", &v), "nbdkit key present");
  ok(json_object_object_get_ex(caps, "virt-v2v", &v), "virt-v2v key present");
  json_object_put(caps);
  return tap_done();
}
