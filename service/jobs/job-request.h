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
  /* the source object as the request gave it (sanitised: an inline
   * password is "***"), which the job document shows per disk */
  json_object *json;
  const char *nbd;               /* SOURCE_NBD */
  const char *bitmap;            /* sync, SOURCE_NBD: a dirty bitmap */
  const char *path;              /* SOURCE_PATH */
  struct rq_volume volume;       /* SOURCE_VOLUME */
  struct rq_nbdkit nbdkit;       /* SOURCE_NBDKIT */
};

/* convert (and the "options" inplace and sync's inplace step share):
 * virt-v2v's input, output and options, each one of a set as an enum,
 * defaults applied once here.  A *_DEFAULT value is an option the
 * request left out, so virt-v2v's own default holds (nothing on its
 * command line). */
enum v2v_format { V2V_FORMAT_DEFAULT, V2V_FORMAT_RAW, V2V_FORMAT_QCOW2 };
enum v2v_allocation { V2V_ALLOC_DEFAULT, V2V_ALLOC_SPARSE,
                      V2V_ALLOC_PREALLOCATED };
enum v2v_root { V2V_ROOT_DEFAULT, V2V_ROOT_SINGLE, V2V_ROOT_FIRST,
                V2V_ROOT_DEVICE };
enum v2v_mac_kind { V2V_MAC_NETWORK, V2V_MAC_BRIDGE, V2V_MAC_IP };

#define V2V_MAX_MACS 64
#define V2V_MAX_NAMESERVERS 8
#define V2V_MAX_LUKS_KEYS 16
#define V2V_MAX_EXTRA_ARGS 16

/* options.macs[i]: --mac MAC:network:N | MAC:bridge:B | MAC:ip:... */
struct v2v_mac {
  const char *mac;
  enum v2v_mac_kind kind;
  const char *name;              /* V2V_MAC_NETWORK, V2V_MAC_BRIDGE */
  const char *address;           /* V2V_MAC_IP: ip.address, ... */
  const char *gateway;           /* NULL when absent */
  unsigned prefix;               /* 0 when absent */
  size_t n_nameservers;
  const char *nameservers[V2V_MAX_NAMESERVERS];
};

/* "options" of a convert, an inplace and a sync's inplace step; all
 * zero (every default) when the request has none.  The LUKS keys' files
 * are the job's secrets options.luks_keys.I.key_file, not named here. */
struct v2v_options {
  enum v2v_root root;
  const char *root_device;       /* V2V_ROOT_DEVICE: /dev/... */
  size_t n_macs;
  struct v2v_mac macs[V2V_MAX_MACS];
  size_t n_luks_keys;
  const char *luks_devices[V2V_MAX_LUKS_KEYS];   /* luks_keys[i].device */
  unsigned memsize_mib;          /* 0 when absent */
  unsigned smp;                  /* 0 when absent */
  size_t n_extra_args;
  const char *extra_args[V2V_MAX_EXTRA_ARGS];    /* allowed ones only */
};

enum convert_input_kind {
  CONVERT_IN_DISK,               /* input.disk.path (format) */
  CONVERT_IN_LIBVIRTXML,         /* input.libvirtxml.path */
  CONVERT_IN_OVA,                /* input.ova.path */
  CONVERT_IN_VMX,                /* input.vmx.path, a local file */
  CONVERT_IN_VMX_SSH,            /* input.vmx.ssh */
  CONVERT_IN_VCENTER,            /* input.vcenter */
};

/* input.vmx.ssh; its key is the job's secret input.vmx.ssh.key_file */
struct convert_vmx_ssh {
  const char *host;
  const char *path;
  const char *user;              /* NULL when absent */
  unsigned port;                 /* 0 when absent */
};

/* input.vcenter.vddk (each NULL when absent) */
struct convert_vddk {
  const char *libdir;
  const char *thumbprint;
  const char *config;
  const char *transports;
  const char *snapshot;
};

/* input.vcenter; the password is the job's secret
 * input.vcenter.password_file */
struct convert_vcenter {
  const char *url;
  const char *vm;
  bool has_vddk;
  struct convert_vddk vddk;
};

struct convert_input {
  enum convert_input_kind kind;
  const char *path;              /* DISK, LIBVIRTXML, OVA, VMX */
  enum v2v_format format;        /* DISK: V2V_FORMAT_DEFAULT probes */
  struct convert_vmx_ssh ssh;    /* VMX_SSH */
  struct convert_vcenter vcenter; /* VCENTER */
};

enum convert_output_kind {
  CONVERT_OUT_LOCAL,             /* output.local */
  CONVERT_OUT_KUBEVIRT,          /* output.kubevirt */
  CONVERT_OUT_BLOCK,             /* output.block */
  CONVERT_OUT_OPENSTACK,         /* output.openstack */
};

#define CONVERT_MAX_BLOCK_DEVICES 26

/* output.block.devices[i]: a path, or a volume */
struct convert_block_device {
  const char *path;              /* or NULL and ... */
  struct rq_volume volume;       /* ... a volume */
};

enum openstack_credentials { OPENSTACK_CLOUDS_YAML, OPENSTACK_ENV_FILE };
enum v2v_tristate { V2V_UNSET, V2V_FALSE, V2V_TRUE };

/* output.openstack; the credentials file is the job's secret
 * output.openstack.credentials.clouds_yaml or .env_file */
struct convert_openstack {
  const char *server_id;
  const char *guest_id;          /* NULL when absent */
  const char *volume_type;       /* NULL when absent */
  enum v2v_tristate verify_server_certificate;
  enum openstack_credentials credentials;
  const char *cloud;             /* OPENSTACK_CLOUDS_YAML */
};

struct convert_output {
  enum convert_output_kind kind;
  const char *dir;               /* LOCAL, KUBEVIRT */
  enum v2v_format format;        /* LOCAL */
  enum v2v_allocation allocation; /* LOCAL */
  size_t n_devices;              /* BLOCK */
  struct convert_block_device devices[CONVERT_MAX_BLOCK_DEVICES];
  struct convert_openstack openstack; /* OPENSTACK */
};

struct convert_request {
  struct convert_input input;
  struct convert_output output;
  const char *name;              /* -on; NULL: virt-v2v's from the source */
  struct v2v_options options;
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
  struct v2v_options options;    /* convert's; zero when absent */
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
  json_object *json;             /* the object as the request gave it */
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

/* "link": {"bandwidth"?: BW, "rtt_ms"?: MS}: what the copy's network
 * link is, when known; sizes the requests in flight (transfer/link-sizing.h):
 * the round trip is measured when absent */
struct rq_link {
  const char *bandwidth;         /* "200M", NULL when absent */
  uint64_t bandwidth_bits;       /* its bits per second, 0 when absent */
  bool has_rtt;
  unsigned rtt_ms;               /* 0 to 10000, when has_rtt */
};

struct copy_disk_request {
  struct rq_source source;
  struct rq_destination destination;
  struct rq_changes changes;     /* CHANGES_NONE: a whole copy */
  /* not from a request: the NBD export a sync pass writes the
   * destination through while a rehearsal's snapshot holds it
   * (sync/snapshot.h), else NULL */
  const char *through;
};

struct copy_request {
  size_t n_disks;
  struct copy_disk_request disks[REQUEST_MAX_DISKS];
  bool verify;                   /* false when absent */
  struct rq_limits limits;
  struct rq_link link;
  /* how long an "nbd" source may take to serve before the copy fails
   * (its export submitted in the same round): 0 (the default), it
   * must serve at once */
  int64_t source_wait_s;
};

#define COPY_SOURCE_WAIT_S_MAX 3600

/* sync: each disk's source (an "nbd" one may name a "bitmap") and its
 * raw destination; the disks' changes are CHANGES_NONE */
struct sync_request {
  size_t n_disks;
  struct copy_disk_request disks[REQUEST_MAX_DISKS];
  int64_t interval_s;            /* 0 when absent: passes on request */
  struct rq_limits limits;
  bool has_inplace;
  struct rq_inplace_guest inplace;
  bool rehearse;                 /* rehearse the conversion after pass 1 */
  /* "verify": pass 1 waits, once flushed, for the source appliance's
   * digest of each whole disk, posted to /v1/jobs/ID/digest */
  bool verify;
};

/* The body of POST /v1/jobs/ID/sync or /cutover (jobs/request_sync.c):
 * what changed on each disk of the job, and the marker the pass brings
 * it up to (change_id, else the bitmap's name). */
/* One piece of a digest: [OFFSET, LENGTH, SHA256] of a digest job's
 * result (jobs/request_digest.c), as a pass's "verify" gives it. */
struct rq_digest_piece {
  uint64_t offset;
  uint64_t length;
  const char *sha256;            /* 64 lowercase hex digits */
};
struct rq_digest {
  size_t n;                      /* 0: no "verify" */
  const struct rq_digest_piece *pieces;  /* sorted, apart; owned */
};

struct sync_pass_disk {
  /* the body's changed_extents, else its bitmap, else the source's */
  struct rq_changes changes;
  const char *change_id;         /* NULL when absent */
  /* "verify": the source appliance's digest of the changed extents,
   * compared with the destination's after the pass (n 0: none) */
  struct rq_digest verify;
  /* "verify": true: the digest is posted to /v1/jobs/ID/digest while
   * the pass copies, and the pass waits for it once flushed */
  bool verify_posted;
};
struct sync_pass {
  json_object *json;             /* a reference: the strings are its */
  size_t n_disks;                /* the job's */
  struct sync_pass_disk disks[REQUEST_MAX_DISKS];
  struct rq_owned *owned;        /* what the extent lists point into */
  bool rehearse;                 /* rehearse the conversion after it */
};
/* ---- end of copy and sync ---- */

/* The body of POST /v1/jobs/ID/digest (jobs/request_digest.c): per
 * disk of a sync job, the source appliance's digest a verified pass
 * waits for (n 0: none for that disk). */
struct pass_digest {
  json_object *json;             /* a reference: the strings are its */
  size_t n_disks;
  struct rq_digest disks[REQUEST_MAX_DISKS];
  struct rq_owned *owned;
};

/* digest: SHA-256s of given extents of local disks, read next to them
 * (the source appliance's half of a verified pass) */
struct digest_disk {
  json_object *source;           /* source as the request gave it */
  const char *path;              /* source.path, or NULL and ... */
  struct rq_volume volume;       /* ... source.volume */
  size_t n_extents;              /* "extents", in the request's order */
  const struct rq_extent *extents;   /* owned by the request */
};
struct digest_request {
  size_t n_disks;
  struct digest_disk disks[REQUEST_MAX_DISKS];
  uint64_t chunk_bytes;          /* "chunk_mib", 16 MiB when absent */
};

/* export */
enum listen_kind { LISTEN_UNIX, LISTEN_TCP };
/* disks-done: every disk opened by a client, then none for idle_s */
enum export_until { UNTIL_CANCEL, UNTIL_CLIENT_DONE, UNTIL_DISKS_DONE };
#define EXPORT_IDLE_S_DEFAULT 5

struct export_disk {
  json_object *source;           /* source as the request gave it */
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
  int64_t idle_s;                /* UNTIL_DISKS_DONE: 5 when absent */
  /* listen.tcp: how long its port may be taken (another export waiting
   * out its idle time) before the job fails; 0 when absent */
  int64_t port_wait_s;
};

#define EXPORT_PORT_WAIT_S_MAX 3600

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
    struct convert_request convert;
    struct digest_request digest;
  } u;
  /* copy and sync: what the extent lists of the request point into */
  struct rq_owned *owned;
};

/* The limits of a copy or sync request, NULL for any other. */
const struct rq_limits *job_request_limits(const struct job_request *r);

#endif
