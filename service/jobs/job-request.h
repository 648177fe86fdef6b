/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A request as the code past the parser sees it: typed, defaults
 * applied, parsed once by the job type's parse function
 * (jobs/job-types.c), by uchd at submit and again by the worker from
 * the accepted request.  Strings point into `json`, which the request
 * holds a reference to. */
#ifndef UCH_JOB_REQUEST_H
#define UCH_JOB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "jobs/job-types.h"

#define REQUEST_MAX_DISKS 64

/* {"volume": ID, "wait_s"?: N}: id NULL when the object names none. */
struct rq_volume {
  const char *id;
  int64_t wait_s;                /* 0 when absent */
};

/* {"nbdkit": {"plugin": P, ...plugin keys..., "password"?,
 * "password_file"?, "config_entries"? (vddk)}} of a copy or sync
 * source (jobs/request_nbdkit.c). */
enum nbdkit_plugin { PLUGIN_FILE, PLUGIN_SSH, PLUGIN_CURL, PLUGIN_NBD,
                     PLUGIN_VDDK };
enum nbdkit_param_type { PARAM_STRING, PARAM_BOOL, PARAM_INT };
#define NBDKIT_MAX_PARAMS 16
#define VDDK_MAX_CONFIG 4          /* the entries UCH passes */

/* One plugin key as the request gave it: `key` is the request's name
 * ("known_hosts"; nbdkit's is "known-hosts"). */
struct rq_nbdkit_param {
  const char *key;
  enum nbdkit_param_type type;
  const char *s;                 /* PARAM_STRING */
  bool b;                        /* PARAM_BOOL */
  int64_t n;                     /* PARAM_INT */
};

/* A VixDiskLib config entry of "config_entries": VDDK's name, value. */
struct rq_vddk_entry {
  const char *name;
  int64_t value;
};

struct rq_nbdkit {
  enum nbdkit_plugin plugin;
  const char *plugin_name;       /* "ssh": nbdkit's name of it */
  /* every plugin key but the password, in the request's order */
  size_t n_params;
  struct rq_nbdkit_param params[NBDKIT_MAX_PARAMS];
  const char *file;              /* PLUGIN_FILE: its "file" */
  /* "password" or "password_file" was given: the secret
   * disks.I.source.nbdkit.password holds it (never the value here) */
  bool password;
  /* vddk's "config_entries", in the request's order: the worker writes
   * them to a file passed as config= */
  size_t n_vddk_config;
  struct rq_vddk_entry vddk_config[VDDK_MAX_CONFIG];
};

/* SOURCE: {"nbd": URI} | {"path": ABS} | {"volume": ID, "wait_s"?}
 * | {"nbdkit": {...}} (copy and sync only) */
enum source_kind { SOURCE_NBD, SOURCE_PATH, SOURCE_VOLUME, SOURCE_NBDKIT };

struct rq_source {
  enum source_kind kind;
  const char *nbd;               /* SOURCE_NBD */
  const char *bitmap;            /* sync, SOURCE_NBD: a dirty bitmap */
  const char *path;              /* SOURCE_PATH */
  struct rq_volume volume;       /* SOURCE_VOLUME */
  struct rq_nbdkit nbdkit;       /* SOURCE_NBDKIT */
};

/* inspect */
struct inspect_request {
  size_t n_disks;
  struct rq_source sources[REQUEST_MAX_DISKS];   /* disks[i].source */
};

/* inplace, and sync's "inplace" step */
#define INPLACE_MAX_NICS 32
enum disk_format { FORMAT_RAW, FORMAT_QCOW2 };
enum guest_firmware { FIRMWARE_BIOS, FIRMWARE_UEFI };

struct rq_inplace_disk {
  const char *path;              /* or NULL and ... */
  struct rq_volume volume;       /* ... a volume (raw) */
  enum disk_format format;       /* FORMAT_RAW when absent */
};

struct rq_inplace_nic {
  const char *mac;
  const char *network;           /* at most one of network, bridge */
  const char *bridge;
};

/* The guest as the source hypervisor had it. */
struct rq_inplace_guest {
  const char *name;
  unsigned memory_mib;           /* 0 when absent: the XML's default */
  unsigned vcpus;                /* 0 when absent: the XML's default */
  enum guest_firmware firmware;  /* FIRMWARE_BIOS when absent */
  size_t n_nics;
  struct rq_inplace_nic nics[INPLACE_MAX_NICS];
  /* convert's "options" object or NULL: not typed yet, read as JSON by
   * convert/v2v-options.c and v2v-argv.c, as a convert's are */
  json_object *options;
};

struct inplace_request {
  size_t n_disks;
  struct rq_inplace_disk disks[REQUEST_MAX_DISKS];
  struct rq_inplace_guest guest;
};

/* ---- copy and sync (jobs/request_copy.c, request_sync.c) ---- */

/* DEST: {"path": ABS, "format"?, "is_zero"?} | {"volume": ID, "wait_s"?,
 * "format"?: "raw", "is_zero"?} */
struct rq_destination {
  const char *path;              /* or NULL and ... */
  struct rq_volume volume;       /* ... a volume (a block device, raw) */
  enum disk_format format;       /* FORMAT_RAW when absent */
  bool is_zero;                  /* false when absent */
};

/* Memory a parsed request owns (freed with it). */
struct rq_owned;

/* [OFFSET, LENGTH] of a list of changed extents */
struct rq_extent {
  uint64_t offset;
  uint64_t length;
};

/* What changed since the copy on the destination: a warm pass.  A
 * copy's disks[i].changes, or a sync pass's disks[i]. */
enum changes_kind { CHANGES_NONE, CHANGES_BITMAP, CHANGES_EXTENTS };
struct rq_changes {
  enum changes_kind kind;
  const char *bitmap;            /* CHANGES_BITMAP */
  size_t n_extents;              /* CHANGES_EXTENTS: in the request's */
  const struct rq_extent *extents;   /* order, owned by the request */
};

/* "limits": {"bandwidth"?: BW, "cpu"?: PERCENT, "io"?: WEIGHT} */
struct rq_limits {
  const char *bandwidth;         /* "50M", NULL when absent */
  unsigned cpu_percent;          /* 0 when absent */
  unsigned io_weight;            /* 0 when absent */
};

struct copy_disk_request {
  struct rq_source source;
  struct rq_destination destination;
  struct rq_changes changes;     /* CHANGES_NONE: a whole copy */
};

struct copy_request {
  size_t n_disks;
  struct copy_disk_request disks[REQUEST_MAX_DISKS];
  bool verify;                   /* false when absent */
  struct rq_limits limits;
};

/* sync: each disk's source (an "nbd" one may name a "bitmap") and its
 * raw destination; the disks' changes are CHANGES_NONE */
struct sync_request {
  size_t n_disks;
  struct copy_disk_request disks[REQUEST_MAX_DISKS];
  int64_t interval_s;            /* 0 when absent: passes on request */
  struct rq_limits limits;
  bool has_inplace;
  struct rq_inplace_guest inplace;
};

/* The body of POST /v1/jobs/ID/sync or /cutover (jobs/request_sync.c):
 * what changed on each disk of the job, and the marker the pass brings
 * it up to (change_id, else the bitmap's name). */
struct sync_pass_disk {
  /* the body's changed_extents, else its bitmap, else the source's */
  struct rq_changes changes;
  const char *change_id;         /* NULL when absent */
};
struct sync_pass {
  json_object *json;             /* a reference: the strings are its */
  size_t n_disks;                /* the job's */
  struct sync_pass_disk disks[REQUEST_MAX_DISKS];
  struct rq_owned *owned;        /* what the extent lists point into */
};
/* ---- end of copy and sync ---- */

/* export */
enum listen_kind { LISTEN_UNIX, LISTEN_TCP };
enum export_until { UNTIL_CANCEL, UNTIL_CLIENT_DONE };

struct export_disk {
  const char *name;              /* "diskI" when the request has none */
  const char *path;              /* source.path, or NULL and ... */
  struct rq_volume volume;       /* ... source.volume */
  char default_name[32];         /* "diskI" */
};

struct export_listen_request {
  enum listen_kind kind;
  const char *tcp;               /* LISTEN_TCP: HOST:PORT */
  const char *tls_username;      /* "uch" when absent */
  const char *advertise;         /* NULL: the listen host */
  /* the secret listen.tls_psk_file was stored (else the worker makes a
   * key); never the key itself */
  bool tls_psk_file;
  bool open_firewall;
};

struct export_request {
  size_t n_disks;
  struct export_disk disks[REQUEST_MAX_DISKS];
  struct export_listen_request listen;
  enum export_until until;       /* UNTIL_CANCEL when absent */
};

struct job_request {
  enum job_kind kind;
  const char *id;                /* NULL when the request has none */
  json_object *json;             /* a reference: the strings are its */
  union {
    struct export_request export;
    struct inspect_request inspect;
    struct inplace_request inplace;
    struct sync_request sync;
    struct copy_request copy;
  } u;
  /* copy and sync: what the extent lists of the request point into */
  struct rq_owned *owned;
};

/* The limits of a copy or sync request, NULL for any other. */
const struct rq_limits *job_request_limits(const struct job_request *r);

#endif
