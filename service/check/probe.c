/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check/probe.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/spawn.h"
#include "util/timeutil.h"

int probe_version_argv(struct argv *a, const char *tool)
{
  return argv_add(a, tool) < 0 || argv_add(a, "--version") < 0 ? -1 : 0;
}

int probe_nbdkit_config_argv(struct argv *a)
{
  return argv_add(a, "nbdkit") < 0 || argv_add(a, "--dump-config") < 0 ? -1
                                                                         : 0;
}

/* Runs `a` (looked up in PATH) with INPUT (a few bytes, or NULL: none)
 * on its stdin, returns its stdout (64 KiB at most) when it exits 0;
 * with `merge`, stderr too, whatever the exit (*status). */
static char *run_capture_ex(const struct argv *a, const char *input,
                            bool merge, int *status_out)
{
  int p[2], in[2] = { -1, -1 };
  struct spawn s;
  pid_t pid;
  char *out = NULL;
  size_t len = 0, cap = 65536;
  int status;

  /* INPUT is far below a pipe's buffer: written whole before the start */
  if (input && (pipe2(in, O_CLOEXEC) < 0 ||
                write(in[1], input, strlen(input)) != (ssize_t)strlen(input))) {
    if (in[0] >= 0) {
      close(in[0]);
      close(in[1]);
    }
    return NULL;
  }
  if (in[1] >= 0)
    close(in[1]);
  if (pipe2(p, O_CLOEXEC) < 0) {
    if (in[0] >= 0)
      close(in[0]);
    return NULL;
  }
  spawn_init(&s, a);
  if ((in[0] >= 0 ? spawn_dup(&s, 0, in[0])
                  : spawn_open(&s, 0, "/dev/null", O_RDONLY, 0)) < 0 ||
      spawn_dup(&s, 1, p[1]) < 0 ||
      (merge ? spawn_dup(&s, 2, p[1])
             : spawn_open(&s, 2, "/dev/null", O_WRONLY, 0)) < 0 ||
      (pid = spawn_start(&s)) < 0) {
    if (in[0] >= 0)
      close(in[0]);
    close(p[0]);
    close(p[1]);
    return NULL;
  }
  if (in[0] >= 0)
    close(in[0]);
  close(p[1]);
  out = malloc(cap + 1);
  for (;;) {
    ssize_t n = out && len < cap ? read(p[0], out + len, cap - len) : 0;
    if (n <= 0)
      break;
    len += n;
  }
  close(p[0]);
  if (spawn_wait(pid, &status) < 0)
    status = -1;
  if (status_out)
    *status_out = status;
  if (!out || (!merge && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))) {
    free(out);
    return NULL;
  }
  out[len] = '\0';
  return out;
}

static char *run_capture(const struct argv *a)
{
  return run_capture_ex(a, NULL, false, NULL);
}

char *probe_version_of(const char *text)
{
  const char *p = text, *eol = strchr(text, '\n');

  if (!eol)
    eol = text + strlen(text);
  while (p < eol) {
    while (p < eol && (*p == ' ' || *p == '\t'))
      p++;
    size_t n = strcspn(p, " \t\n");
    if (n > 0 && *p >= '0' && *p <= '9')
      return strndup(p, n);
    p += n;
  }
  return NULL;
}

static json_object *tool_version(const char *tool)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *out = NULL, *version = NULL;

  if (probe_version_argv(&a, tool) < 0 || !(out = run_capture(&a)))
    return NULL;
  version = probe_version_of(out);
  json_object *o = json_object_new_object();
  json_object_object_add(o, "version",
                         version ? json_object_new_string(version) : NULL);
  return o;
}

/* nbdkit-NAME-KIND.so in dir, as a sorted list of NAME. */
static json_object *list_modules(const char *dir, const char *kind)
{
  json_object *list = json_object_new_array();
  struct dirent **names = NULL;
  char suffix[32];
  int n;

  snprintf(suffix, sizeof suffix, "-%s.so", kind);
  n = dir ? scandir(dir, &names, NULL, alphasort) : -1;
  for (int i = 0; i < n; i++) {
    const char *f = names[i]->d_name;
    size_t len = strlen(f), sl = strlen(suffix);
    if (strncmp(f, "nbdkit-", 7) == 0 && len > 7 + sl &&
        strcmp(f + len - sl, suffix) == 0) {
      _cleanup_free_ char *name = strndup(f + 7, len - 7 - sl);
      if (name)
        json_object_array_add(list, json_object_new_string(name));
    }
    free(names[i]);
  }
  free(names);
  return list;
}

static char *config_value(const char *config, const char *key)
{
  size_t kl = strlen(key);
  for (const char *p = config; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, key, kl) == 0 && p[kl] == '=')
      return strndup(p + kl + 1, strcspn(p + kl + 1, "\n"));
  return NULL;
}

static json_object *nbdkit_caps(void)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *cfg = NULL, *version = NULL, *plugindir = NULL,
                      *filterdir = NULL;

  if (probe_nbdkit_config_argv(&a) < 0 || !(cfg = run_capture(&a)))
    return NULL;
  version = config_value(cfg, "version");
  plugindir = config_value(cfg, "plugindir");
  filterdir = config_value(cfg, "filterdir");
  json_object *o = json_object_new_object();
  json_object_object_add(o, "version",
                         version ? json_object_new_string(version) : NULL);
  json_object_object_add(o, "plugins",
                         list_modules(plugindir, "plugin"));
  json_object_object_add(o, "filters", list_modules(filterdir, "filter"));
  return o;
}

int probe_nbdkit_plugin_argv(struct argv *a, const char *plugin)
{
  return argv_add(a, "nbdkit") < 0 || argv_add(a, plugin) < 0 ||
         argv_add(a, "--version") < 0 ? -1 : 0;
}

/* As nbdkit-probing(1) says: `nbdkit PLUGIN --version` exits 0 when
 * nbdkit can load the plugin. */
int probe_nbdkit_plugin(const char *plugin)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *out = NULL;
  int status = 0;

  if (probe_nbdkit_plugin_argv(&a, plugin) < 0 ||
      !(out = run_capture_ex(&a, NULL, true, &status)))
    return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : 0;
}

int probe_nbdkit_vddk(void)
{
  return probe_nbdkit_plugin("vddk");
}

char *probe_find_program(const char *program, const char *extra_dir)
{
  const char *path = getenv("PATH");
  _cleanup_free_ char *dirs = NULL;
  char *full = NULL, *save = NULL;

  if (asprintf(&dirs, "%s:%s", path ? path : "/usr/bin:/bin",
               extra_dir ? extra_dir : "") < 0)
    return NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    if (asprintf(&full, "%s/%s", d, program) < 0)
      return NULL;
    if (access(full, X_OK) == 0)
      return full;
    free(full);
    full = NULL;
  }
  return NULL;
}

char *probe_vddk_library(const char *libdir)
{
  _cleanup_free_ char *dir = NULL;
  struct dirent **names = NULL;
  char *found = NULL;
  int n;

  if (!libdir || asprintf(&dir, "%s/lib64", libdir) < 0)
    return NULL;
  n = scandir(dir, &names, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    if (!found && strncmp(names[i]->d_name, "libvixDiskLib.so", 16) == 0 &&
        asprintf(&found, "%s/%s", dir, names[i]->d_name) < 0)
      found = NULL;
    free(names[i]);
  }
  free(names);
  return found;
}

char *probe_guestfs_cache_path(const char *state_dir)
{
  char *p;
  return asprintf(&p, "%s/check/guestfs.json", state_dir) < 0 ? NULL : p;
}

int probe_guestfs_argv(struct argv *a)
{
  static const char *const v[] = { "guestfish", "--ro", "-a", "/dev/null",
                                   "run", NULL };
  return argv_addv(a, v);
}

/* guestfish's last line that says why ("*stdin*:0: libguestfs: error:
 * cannot find ..." keeps its libguestfs part), or how it exited. */
char *probe_guestfs_failure(const char *out, int status)
{
  const char *best = NULL, *p;
  char *msg;

  for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    size_t len = strcspn(l, "\n");
    if ((p = memmem(l, len, "libguestfs: error: ", 19)))
      best = p;
    else if (strncmp(l, "guestfish: ", 11) == 0)
      best = l;
  }
  if (best)
    return strndup(best, strcspn(best, "\n"));
  if (asprintf(&msg, "guestfish exited with status %d",
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) < 0)
    return NULL;
  return msg;
}

json_object *probe_guestfs_run(const char *state_dir)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *out = NULL, *why = NULL, *cache = NULL, *dir = NULL;
  json_object *o = json_object_new_object();
  double t0 = time_monotonic();
  char secs[32];
  int status = -1;
  bool ok;

  if (probe_guestfs_argv(&a) < 0)
    return o;
  /* Not installed (the Debian appliance image leaves libguestfs out for
   * size) is not "does not boot": said apart, so the check can name it. */
  _cleanup_free_ char *guestfish = probe_find_program(a.v[0], NULL);
  if (!guestfish) {
    json_object_object_add(o, "installed", json_object_new_boolean(false));
    ok = false;
    why = strdup("guestfish is not installed");
  } else {
    out = run_capture_ex(&a, NULL, true, &status);
    ok = out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
      why = out ? probe_guestfs_failure(out, status) : strdup("guestfish: cannot run");
  }
  json_object_object_add(o, "ok", json_object_new_boolean(ok));
  json_object_object_add(o, "checked_at", json_object_new_int64(time(NULL)));
  snprintf(secs, sizeof secs, "%.1f", time_monotonic() - t0);
  json_object_object_add(o, "seconds", json_object_new_double_s(atof(secs), secs));
  json_object_object_add(o, "message", json_object_new_string(
                           ok ? "the appliance boots" : why ? why : "failed"));
  if (state_dir && (cache = probe_guestfs_cache_path(state_dir)) &&
      asprintf(&dir, "%s/check", state_dir) > 0 && mkdir_p(dir, 0755) == 0)
    json_write_path(cache, o, 0644);
  return o;
}

int probe_kvm_argv(struct argv *a)
{
  static const char *const v[] = {
    PROBE_KVM_QEMU, "-machine", "accel=kvm", "-cpu", "host", "-display",
    "none", "-nodefaults", "-m", "16", "-S", "-monitor", "stdio", NULL
  };
  return argv_addv(a, v);
}

/* qemu's own "error: " line ("qemu-system-x86_64: error: failed to set
 * MSR 0x10a to 0x69", before its assertion), else its last line that
 * names it, else how it ended. */
char *probe_kvm_failure(const char *out, int status)
{
  const char *best = NULL, *named = NULL, *p;
  char *msg;

  for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
    size_t len = strcspn(l, "\n");
    if (!best && (p = memmem(l, len, "error: ", 7)))
      best = p + 7;
    else if (strncmp(l, PROBE_KVM_QEMU ": ", strlen(PROBE_KVM_QEMU) + 2) == 0)
      named = l + strlen(PROBE_KVM_QEMU) + 2;
  }
  if (!best)
    best = named;
  if (best)
    return strndup(best, strcspn(best, "\n"));
  if (WIFSIGNALED(status))
    return asprintf(&msg, "%s was killed by signal %d", PROBE_KVM_QEMU,
                    WTERMSIG(status)) < 0 ? NULL : msg;
  return asprintf(&msg, "%s exited with status %d", PROBE_KVM_QEMU,
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1) < 0 ? NULL : msg;
}

/* The node alone says nothing: systemd makes it at boot (a static node,
 * for module autoloading) in guests without hardware virtualisation
 * too, where opening it fails (ENODEV).  Unreadable by this user also
 * counts as not usable: what runs as this user cannot use it either.
 * Speaking the KVM API is not enough either: nested KVM may lack what
 * qemu sets up a vCPU with (kvm-pvm here: qemu aborts, "failed to set
 * MSR 0x10a"), so qemu is started on it stopped (-S), nothing run, and
 * told to quit: a fraction of a second. */
enum probe_kvm probe_kvm(char **why)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *qemu = NULL, *out = NULL;
  int fd, version, status = 0;

  assert(why);
  *why = NULL;
  fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (asprintf(why, "/dev/kvm: %s", strerror(errno)) < 0)
      *why = NULL;
    return PROBE_KVM_NONE;
  }
  version = ioctl(fd, KVM_GET_API_VERSION, 0);
  close(fd);
  if (version != KVM_API_VERSION) {
    if (asprintf(why, "/dev/kvm speaks KVM API version %d, not %d", version,
                 KVM_API_VERSION) < 0)
      *why = NULL;
    return PROBE_KVM_NONE;
  }
  if (!(qemu = probe_find_program(PROBE_KVM_QEMU, NULL))) {
    *why = strdup(PROBE_KVM_QEMU " is not installed: KVM untried");
    return PROBE_KVM_NONE;
  }
  if (probe_kvm_argv(&a) < 0 ||
      !(out = run_capture_ex(&a, "quit\n", true, &status))) {
    *why = strdup(PROBE_KVM_QEMU ": cannot run");
    return PROBE_KVM_BROKEN;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    *why = strdup(PROBE_KVM_QEMU " sets a vCPU up on /dev/kvm");
    return PROBE_KVM_OK;
  }
  _cleanup_free_ char *said = probe_kvm_failure(out, status);
  if (asprintf(why, "%s cannot set a vCPU up on /dev/kvm: %s", PROBE_KVM_QEMU,
               said ? said : "?") < 0)
    *why = NULL;
  return PROBE_KVM_BROKEN;
}

static json_object *space_of(const char *dir)
{
  struct statvfs st;
  json_object *o;

  if (!dir)
    return NULL;
  o = json_object_new_object();
  json_object_object_add(o, "dir", json_object_new_string(dir));
  json_object_object_add(o, "free_bytes", statvfs(dir, &st) == 0
                         ? json_object_new_int64((int64_t)st.f_bavail * st.f_frsize)
                         : NULL);
  return o;
}

json_object *probe_capabilities(const struct probe_env *env)
{
  static const char *const tools[] = { "nbdcopy", "qemu-nbd", "qemu-img",
                                       "virt-v2v", NULL };
  static const struct probe_env none = { 0 };
  json_object *caps = json_object_new_object(), *o;
  _cleanup_free_ char *inplace = NULL, *lib = NULL, *cache = NULL;
  _cleanup_free_ char *kvm_why = NULL;
  enum probe_kvm kvm;
  const char *tmp = getenv("TMPDIR");
  if (!env)
    env = &none;
  json_object_object_add(caps, "nbdkit", nbdkit_caps());
  for (int i = 0; tools[i]; i++)
    json_object_object_add(caps, tools[i], tool_version(tools[i]));
  /* CentOS keeps it out of PATH, in /usr/libexec. */
  inplace = probe_find_program("virt-v2v-in-place", "/usr/libexec");
  o = inplace ? json_object_new_object() : NULL;
  if (o)
    json_object_object_add(o, "path", json_object_new_string(inplace));
  json_object_object_add(caps, "virt-v2v-in-place", o);
  kvm = probe_kvm(&kvm_why);
  json_object_object_add(caps, "kvm",
                         json_object_new_boolean(kvm == PROBE_KVM_OK));
  json_object_object_add(caps, "kvm_message",
                         kvm_why ? json_object_new_string(kvm_why) : NULL);
  json_object_object_add(caps, "vddk",
                         json_object_new_boolean(probe_nbdkit_vddk() == 1));
  o = json_object_new_object();
  lib = probe_vddk_library(env->vddk_libdir ? env->vddk_libdir : PROBE_VDDK_LIBDIR);
  json_object_object_add(o, "libdir", json_object_new_string(
                           env->vddk_libdir ? env->vddk_libdir : PROBE_VDDK_LIBDIR));
  json_object_object_add(o, "found", json_object_new_boolean(lib != NULL));
  json_object_object_add(caps, "vddk_library", o);
  cache = env->state_dir ? probe_guestfs_cache_path(env->state_dir) : NULL;
  json_object_object_add(caps, "guestfs", cache ? json_read_path(cache) : NULL);
  o = json_object_new_object();
  if (env->state_dir)
    json_object_object_add(o, "state", space_of(env->state_dir));
  if (env->runtime_dir)
    json_object_object_add(o, "runtime", space_of(env->runtime_dir));
  json_object_object_add(o, "tmp", space_of(tmp && *tmp ? tmp : "/var/tmp"));
  json_object_object_add(caps, "space", o);
  return caps;
}
