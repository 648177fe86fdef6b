/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What this host can do: the tools, KVM, VDDK, the libguestfs appliance
 * (as last checked), free space.  uchd finds it once at start (GET
 * /v1/health "capabilities"); `uchctl check` finds the same facts and
 * judges them (preflight.h). */
#ifndef UCHD_PROBE_H
#define UCHD_PROBE_H

#include <json-c/json.h>

#include "util/argv.h"

/* TOOL --version */
int probe_version_argv(struct argv *a, const char *tool);
/* nbdkit --dump-config */
int probe_nbdkit_config_argv(struct argv *a);
/* The first word of `text`'s first line that starts with a digit. */
char *probe_version_of(const char *text);
/* Where virt-v2v's docs put the VDDK library (vddk-libdir). */
#define PROBE_VDDK_LIBDIR "/opt/vmware-vix-disklib-distrib"
/* virt-v2v's own need in its temporary directory. */
#define PROBE_MIN_FREE_BYTES (1024ULL * 1024 * 1024)
/* RUNTIME holds only sockets, secrets and small files: a tmpfs of the
 * default size is plenty. */
#define PROBE_MIN_RUNTIME_BYTES (64ULL * 1024 * 1024)

struct probe_env {
  const char *state_dir;     /* NULL: not looked at; jobs' scratch dirs
                                (VIRT_V2V_TMPDIR) are under it */
  const char *runtime_dir;
  const char *vddk_libdir;   /* NULL: PROBE_VDDK_LIBDIR */
};

/* {"nbdkit":{"version","plugins":[…],"filters":[…]}, "nbdcopy":{…}, …,
 *  "virt-v2v-in-place": {"path"}, "kvm": bool (probe_kvm() said OK),
 *  "kvm_message": what it found, "vddk": bool (the nbdkit
 *  plugin), "vddk_library": {"libdir", "found"}, "guestfs": the cached
 *  appliance check or null, "space": {"state"|"runtime"|"tmp": {"dir",
 *  "free_bytes"}}}; tools not found are null.  ENV may be NULL. */
json_object *probe_capabilities(const struct probe_env *env);

/* KVM as libguestfs would use it: NONE (no /dev/kvm, none of this
 * user's, or no qemu to try it with: libguestfs takes TCG itself),
 * BROKEN (/dev/kvm speaks the KVM API but qemu cannot set a vCPU up on
 * it: libguestfs would take KVM and its qemu abort), OK. */
enum probe_kvm { PROBE_KVM_NONE, PROBE_KVM_BROKEN, PROBE_KVM_OK };
/* The qemu libguestfs runs here (x86_64 hosts only, as the appliance). */
#define PROBE_KVM_QEMU "qemu-system-x86_64"
/* qemu-system-x86_64 -machine accel=kvm -cpu host ... -S -monitor stdio:
 * sets a vCPU up on KVM, runs nothing; "quit" on its stdin ends it. */
int probe_kvm_argv(struct argv *a);
/* What to say of qemu's failure there (its "error: " line, else its last
 * line naming it, else how it ended); malloc'd. */
char *probe_kvm_failure(const char *out, int status);
/* Tries it (a fraction of a second); *why (malloc'd, may be NULL on
 * ENOMEM) says what was found, in every case. */
enum probe_kvm probe_kvm(char **why);

/* STATE/check/guestfs.json: the last appliance check. */
char *probe_guestfs_cache_path(const char *state_dir);
/* guestfish --ro -a /dev/null run: boots the appliance, nothing more. */
int probe_guestfs_argv(struct argv *a);
/* Runs it (blocking, ~35 s without KVM) and returns {"ok", "checked_at",
 * "seconds", "message"}; writes the cache when STATE_DIR is not NULL. */
json_object *probe_guestfs_run(const char *state_dir);
/* What to say of a failed appliance check: its "libguestfs: error: ..."
 * or "guestfish: ..." line, else its exit status. */
char *probe_guestfs_failure(const char *out, int status);
/* The file's path of a VDDK library under LIBDIR (lib64/libvixDiskLib.so*),
 * malloc'd, or NULL. */
char *probe_vddk_library(const char *libdir);
/* nbdkit PLUGIN --version */
int probe_nbdkit_plugin_argv(struct argv *a, const char *plugin);
/* Whether nbdkit can load PLUGIN, asked as nbdkit-probing(1) says
 * (`nbdkit PLUGIN --version` exits 0): 1, 0, or -1 when nbdkit cannot
 * be run. */
int probe_nbdkit_plugin(const char *plugin);
/* probe_nbdkit_plugin("vddk"): the one place every caller (health,
 * uchctl check, copy and convert jobs) asks it.  Debian's nbdkit has
 * no vddk plugin. */
int probe_nbdkit_vddk(void);
/* Where a program is, on PATH or in EXTRA_DIR (NULL: none). */
char *probe_find_program(const char *program, const char *extra_dir);

#endif
