/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/caps.h"
#include "check/preflight.h"
#include "check/probe.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

void preflight_add(json_object *checks, const char *name, const char *status,
                   const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  json_object *c = json_object_new_object();
  va_list ap;

  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  json_object_object_add(c, "name", json_object_new_string(name));
  json_object_object_add(c, "status", json_object_new_string(status));
  json_object_object_add(c, "message", json_object_new_string(msg ? msg : ""));
  json_object_array_add(checks, c);
}

bool preflight_passed(json_object *checks)
{
  for (size_t i = 0; i < json_object_array_length(checks); i++) {
    const char *st = json_get_string(json_object_array_get_idx(checks, i),
                                     "status");
    if (st && strcmp(st, "fail") == 0)
      return false;
  }
  return true;
}

void preflight_bytes(char out[32], long long bytes)
{
  if (bytes >= 1024LL * 1024 * 1024)
    snprintf(out, 32, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  else
    snprintf(out, 32, "%lld MiB", bytes / (1024 * 1024));
}

static const char *version_of(const struct caps_tool *t)
{
  return t->version ? t->version : "unknown version";
}

static void tools(const struct host_caps *caps, json_object *checks)
{
  const struct {
    const char *tool, *package, *needed_for;
    const struct caps_tool *t;
  } t[] = {
    { "virt-v2v", "virt-v2v", "convert jobs", &caps->virt_v2v },
    { "nbdcopy", "libnbd-bin", "copy jobs", &caps->nbdcopy },
    { "qemu-img", "qemu-utils", "qcow2 destinations and inplace jobs",
      &caps->qemu_img },
    { "qemu-nbd", "qemu-utils", "qcow2 destinations", &caps->qemu_nbd },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (t[i].t->present)
      preflight_add(checks, t[i].tool, "ok", "%s %s", t[i].tool,
                    version_of(t[i].t));
    else
      preflight_add(checks, t[i].tool, "fail", "%s is not installed (needed "
                    "for %s; Debian: apt-get install %s)", t[i].tool,
                    t[i].needed_for, t[i].package);
  }
  if (caps->virt_v2v_in_place.present)
    preflight_add(checks, "virt-v2v-in-place", "ok", "%s",
                  caps->virt_v2v_in_place.path);
  else
    preflight_add(checks, "virt-v2v-in-place", "fail", "virt-v2v-in-place is "
                  "not on PATH nor in /usr/libexec (needed for inplace jobs; "
                  "Debian: apt-get install virt-v2v)");
}

static void nbdkit(const struct host_caps *caps, json_object *checks)
{
  _cleanup_free_ char *list = NULL;
  size_t len = 0, n = caps->n_plugins;
  FILE *f;

  if (!caps->nbdkit.present) {
    preflight_add(checks, "nbdkit", "fail", "nbdkit is not installed (needed "
                  "for copy and export jobs; Debian: apt-get install nbdkit)");
    return;
  }
  if (!(f = open_memstream(&list, &len)))
    return;
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s%s", i ? " " : "", caps->plugins[i]);
  fclose(f);
  preflight_add(checks, "nbdkit", "ok", "nbdkit %s, plugins: %s",
                version_of(&caps->nbdkit), n ? list : "none");
}

static void vddk(const struct host_caps *caps, const struct preflight_opts *o,
                 json_object *checks)
{
  const char *libdir = caps->vddk_libdir;
  const char *bad = o->vddk_required ? "fail" : "warn";

  if (!caps->nbdkit.present)
    return;
  if (!caps->vddk_plugin)
    preflight_add(checks, "vddk-plugin", bad, "nbdkit has no vddk plugin "
                  "(Debian's nbdkit has no vddk plugin): transfers from "
                  "vCenter/ESXi through VDDK cannot run on this host");
  else
    preflight_add(checks, "vddk-plugin", "ok", "nbdkit's vddk plugin is "
                  "installed");
  if (caps->vddk_found)
    preflight_add(checks, "vddk-library", "ok", "VDDK library in %s/lib64",
                  libdir ? libdir : "?");
  else
    preflight_add(checks, "vddk-library", bad, "no VDDK library "
                  "(lib64/libvixDiskLib.so*) in %s: unpack VMware's VDDK "
                  "there", libdir ? libdir : PROBE_VDDK_LIBDIR);
}

static void kvm(const struct host_caps *caps, json_object *checks)
{
  if (caps->kvm)
    preflight_add(checks, "kvm", "ok", "/dev/kvm works (%s)",
                  caps->kvm_message ? caps->kvm_message
                                    : "it speaks the KVM API");
  else if (caps->kvm_message)
    preflight_add(checks, "kvm", "warn", "no usable KVM (%s): conversions "
                  "run the libguestfs appliance under TCG, many times slower",
                  caps->kvm_message);
  else
    preflight_add(checks, "kvm", "warn", "no usable /dev/kvm (absent, no "
                  "hardware virtualisation, or no access): conversions run the "
                  "libguestfs appliance under TCG, many times slower");
}

static void guestfs(const struct host_caps *caps,
                    const struct preflight_opts *o, json_object *checks)
{
  char when[32] = "";
  time_t t;

  switch (caps->guestfs) {
  case CAPS_GUESTFS_UNCHECKED:
    preflight_add(checks, "libguestfs", "warn", "appliance not checked%s",
                  o->quick ? " (--quick)" : "");
    return;
  case CAPS_GUESTFS_NOT_INSTALLED:
    preflight_add(checks, "libguestfs", "fail", "libguestfs is not installed: "
                  "no guestfish on PATH (needed for convert, inplace and "
                  "inspect jobs; Debian: apt-get install guestfish)");
    return;
  case CAPS_GUESTFS_OK:
  case CAPS_GUESTFS_FAILED:
    break;
  }
  t = (time_t)caps->guestfs_checked_at;
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  if (caps->guestfs == CAPS_GUESTFS_OK)
    preflight_add(checks, "libguestfs", "ok", "the appliance boots (checked "
                  "%s)", when);
  else
    preflight_add(checks, "libguestfs", "fail", "the appliance does not boot "
                  "(checked %s): %s", when,
                  caps->guestfs_message ? caps->guestfs_message
                                        : "no reason given");
}

static void space(const struct host_caps *caps, json_object *checks)
{
  const struct {
    const struct caps_space *s;
    const char *name, *why;
    unsigned long long min;
    bool fail;
  } d[] = {
    { &caps->space_state, "space-state", "job state and logs, virt-v2v's "
      "temporary files and inplace overlays (each job's scratch dir is "
      "under it)", PROBE_MIN_FREE_BYTES, true },
    { &caps->space_runtime, "space-runtime", "jobs' sockets, secrets and "
      "small files", PROBE_MIN_RUNTIME_BYTES, true },
    { &caps->space_tmp, "space-tmp", "the libguestfs appliance cache",
      PROBE_MIN_FREE_BYTES, false },
  };
  char have[32], need[32];

  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
    const struct caps_space *s = d[i].s;
    if (!s->present)
      continue;
    if (!s->known) {
      preflight_add(checks, d[i].name, "fail", "%s: cannot tell its free "
                    "space (does it exist?)", s->dir);
      continue;
    }
    long long b = s->free_bytes;
    preflight_bytes(have, b);
    preflight_bytes(need, d[i].min);
    if (b >= (long long)d[i].min)
      preflight_add(checks, d[i].name, "ok", "%s: %s free", s->dir, have);
    else
      preflight_add(checks, d[i].name, d[i].fail ? "fail" : "warn",
                    "%s: %s free, below %s (for %s)", s->dir, have, need,
                    d[i].why);
  }
}

void preflight_judge(json_object *doc, const struct preflight_opts *o,
                     json_object *checks)
{
  struct host_caps caps;

  caps_parse(doc, &caps);
  tools(&caps, checks);
  nbdkit(&caps, checks);
  vddk(&caps, o, checks);
  kvm(&caps, checks);
  guestfs(&caps, o, checks);
  space(&caps, checks);
}
