/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const char *version_of(json_object *caps, const char *tool)
{
  const char *v = json_get_string(json_get(caps, tool), "version");
  return v ? v : "unknown version";
}

static void tools(json_object *caps, json_object *checks)
{
  static const struct { const char *tool, *package, *needed_for; } t[] = {
    { "virt-v2v", "virt-v2v", "convert jobs" },
    { "nbdcopy", "libnbd-bin", "copy jobs" },
    { "qemu-img", "qemu-utils", "qcow2 destinations and inplace jobs" },
    { "qemu-nbd", "qemu-utils", "qcow2 destinations" },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (json_get(caps, t[i].tool))
      preflight_add(checks, t[i].tool, "ok", "%s %s", t[i].tool,
                    version_of(caps, t[i].tool));
    else
      preflight_add(checks, t[i].tool, "fail", "%s is not installed (needed "
                    "for %s; Debian: apt-get install %s)", t[i].tool,
                    t[i].needed_for, t[i].package);
  }
  if (json_get(caps, "virt-v2v-in-place"))
    preflight_add(checks, "virt-v2v-in-place", "ok", "%s",
                  json_get_string(json_get(caps, "virt-v2v-in-place"), "path"));
  else
    preflight_add(checks, "virt-v2v-in-place", "fail", "virt-v2v-in-place is "
                  "not on PATH nor in /usr/libexec (needed for inplace jobs; "
                  "Debian: apt-get install virt-v2v)");
}

static void nbdkit(json_object *caps, json_object *checks)
{
  json_object *nbdkit = json_get(caps, "nbdkit"), *plugins;
  _cleanup_free_ char *list = NULL;
  size_t len = 0, n;
  FILE *f;

  if (!nbdkit) {
    preflight_add(checks, "nbdkit", "fail", "nbdkit is not installed (needed "
                  "for copy and export jobs; Debian: apt-get install nbdkit)");
    return;
  }
  plugins = json_get(nbdkit, "plugins");
  n = plugins ? json_object_array_length(plugins) : 0;
  if (!(f = open_memstream(&list, &len)))
    return;
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%s%s", i ? " " : "",
            json_object_get_string(json_object_array_get_idx(plugins, i)));
  fclose(f);
  preflight_add(checks, "nbdkit", "ok", "nbdkit %s, plugins: %s",
                version_of(caps, "nbdkit"), n ? list : "none");
}

static void vddk(json_object *caps, const struct preflight_opts *o,
                 json_object *checks)
{
  json_object *lib = json_get(caps, "vddk_library"), *v;
  const char *libdir = json_get_string(lib, "libdir");
  bool plugin = json_object_object_get_ex(caps, "vddk", &v) &&
                json_object_get_boolean(v);
  bool found = json_object_object_get_ex(lib, "found", &v) &&
               json_object_get_boolean(v);
  const char *bad = o->vddk_required ? "fail" : "warn";

  if (!json_get(caps, "nbdkit"))
    return;
  if (!plugin)
    preflight_add(checks, "vddk-plugin", bad, "nbdkit has no vddk plugin "
                  "(Debian's nbdkit has no vddk plugin): transfers from "
                  "vCenter/ESXi through VDDK cannot run on this host");
  else
    preflight_add(checks, "vddk-plugin", "ok", "nbdkit's vddk plugin is "
                  "installed");
  if (found)
    preflight_add(checks, "vddk-library", "ok", "VDDK library in %s/lib64",
                  libdir ? libdir : "?");
  else
    preflight_add(checks, "vddk-library", bad, "no VDDK library "
                  "(lib64/libvixDiskLib.so*) in %s: unpack VMware's VDDK "
                  "there", libdir ? libdir : PROBE_VDDK_LIBDIR);
}

static void kvm(json_object *caps, json_object *checks)
{
  json_object *v;

  if (json_object_object_get_ex(caps, "kvm", &v) && json_object_get_boolean(v))
    preflight_add(checks, "kvm", "ok", "/dev/kvm works");
  else
    preflight_add(checks, "kvm", "warn", "no usable /dev/kvm (absent, no "
                  "hardware virtualisation, or no access): conversions run the "
                  "libguestfs appliance under TCG, many times slower");
}

static void guestfs(json_object *caps, const struct preflight_opts *o,
                    json_object *checks)
{
  json_object *g = json_get(caps, "guestfs"), *v;
  char when[32] = "";
  time_t t;

  if (!g) {
    preflight_add(checks, "libguestfs", "warn", "appliance not checked%s",
                  o->quick ? " (--quick)" : "");
    return;
  }
  if (json_object_object_get_ex(g, "installed", &v) &&
      !json_object_get_boolean(v)) {
    preflight_add(checks, "libguestfs", "fail", "libguestfs is not installed: "
                  "no guestfish on PATH (needed for convert, inplace and "
                  "inspect jobs; Debian: apt-get install guestfish)");
    return;
  }
  t = (time_t)json_object_get_int64(json_get(g, "checked_at"));
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  if (json_object_object_get_ex(g, "ok", &v) && json_object_get_boolean(v))
    preflight_add(checks, "libguestfs", "ok", "the appliance boots (checked "
                  "%s)", when);
  else
    preflight_add(checks, "libguestfs", "fail", "the appliance does not boot "
                  "(checked %s): %s", when,
                  json_get_string(g, "message") ? json_get_string(g, "message")
                                                : "no reason given");
}

static void space(json_object *caps, json_object *checks)
{
  static const struct {
    const char *key, *name, *why;
    unsigned long long min;
    bool fail;
  } d[] = {
    { "state", "space-state", "job state and logs, virt-v2v's temporary "
      "files and inplace overlays (each job's scratch dir is under it)",
      PROBE_MIN_FREE_BYTES, true },
    { "runtime", "space-runtime", "jobs' sockets, secrets and small files",
      PROBE_MIN_RUNTIME_BYTES, true },
    { "tmp", "space-tmp", "the libguestfs appliance cache",
      PROBE_MIN_FREE_BYTES, false },
  };
  json_object *sp = json_get(caps, "space");
  char have[32], need[32];

  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
    json_object *s = json_get(sp, d[i].key), *fb;
    const char *dir = json_get_string(s, "dir");
    if (!s)
      continue;
    if (!json_object_object_get_ex(s, "free_bytes", &fb) || !fb) {
      preflight_add(checks, d[i].name, "fail", "%s: cannot tell its free "
                    "space (does it exist?)", dir);
      continue;
    }
    long long b = json_object_get_int64(fb);
    preflight_bytes(have, b);
    preflight_bytes(need, d[i].min);
    if (b >= (long long)d[i].min)
      preflight_add(checks, d[i].name, "ok", "%s: %s free", dir, have);
    else
      preflight_add(checks, d[i].name, d[i].fail ? "fail" : "warn",
                    "%s: %s free, below %s (for %s)", dir, have, need,
                    d[i].why);
  }
}

void preflight_judge(json_object *caps, const struct preflight_opts *o,
                     json_object *checks)
{
  tools(caps, checks);
  nbdkit(caps, checks);
  vddk(caps, o, checks);
  kvm(caps, checks);
  guestfs(caps, o, checks);
  space(caps, checks);
}
