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
  } u;
};

#endif
