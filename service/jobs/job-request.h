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

/* SOURCE: {"nbd": URI} | {"path": ABS} | {"volume": ID, "wait_s"?}
 * | {"nbdkit": {...}} (the last one not typed yet: copy and sync) */
enum source_kind { SOURCE_NBD, SOURCE_PATH, SOURCE_VOLUME, SOURCE_NBDKIT };

struct rq_source {
  enum source_kind kind;
  const char *nbd;               /* SOURCE_NBD */
  const char *path;              /* SOURCE_PATH */
  struct rq_volume volume;       /* SOURCE_VOLUME */
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

/* sync: only its inplace step is typed yet */
struct sync_request {
  bool has_inplace;
  struct rq_inplace_guest inplace;
};

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
  } u;
};

#endif
