/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capabilities document (probe_capabilities(), also what uchd shows
 * under `capabilities` in GET /v1/health) read once into a struct, so
 * the pre-flight verdicts (preflight.c) judge typed facts.  Strings
 * point into the document, which must outlive the struct. */
#ifndef UCH_CHECK_CAPS_H
#define UCH_CHECK_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CAPS_MAX_PLUGINS 128

/* A tool: present, with the version it printed (NULL when none). */
struct caps_tool {
  bool present;
  const char *version;
  const char *path;              /* virt-v2v-in-place only */
};

enum caps_guestfs {
  CAPS_GUESTFS_UNCHECKED,        /* no "guestfs": not asked (--quick) */
  CAPS_GUESTFS_NOT_INSTALLED,    /* no guestfish on PATH */
  CAPS_GUESTFS_OK,               /* the appliance booted */
  CAPS_GUESTFS_FAILED,           /* it did not */
};

/* Free space of a folder: `present` when the document has it, `known`
 * when statvfs answered. */
struct caps_space {
  bool present;
  const char *dir;
  bool known;
  long long free_bytes;
};

struct host_caps {
  struct caps_tool virt_v2v, nbdcopy, qemu_img, qemu_nbd;
  struct caps_tool virt_v2v_in_place;
  struct caps_tool nbdkit;
  size_t n_plugins;              /* nbdkit's, the first CAPS_MAX_PLUGINS */
  const char *plugins[CAPS_MAX_PLUGINS];
  bool vddk_plugin;              /* nbdkit vddk --version answered */
  const char *vddk_libdir;       /* NULL when the document has none */
  bool vddk_found;               /* the library is under it */
  bool kvm;                      /* qemu sets a vCPU up on /dev/kvm */
  const char *kvm_message;       /* what the probe found; NULL: none */
  enum caps_guestfs guestfs;
  int64_t guestfs_checked_at;    /* seconds since the epoch */
  const char *guestfs_message;   /* NULL when none */
  struct caps_space space_state, space_runtime, space_tmp;
};

/* Fills *out from the document CAPS (anything missing or of another type
 * counts as absent).  Never fails. */
void caps_parse(json_object *caps, struct host_caps *out);

#endif
