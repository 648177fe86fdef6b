/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The confinement policy: which files and devices a request may make
 * uchd (root) and its workers read or write.  Every local path a
 * request names has a role (the table in confine.c, by job type and
 * field); it is resolved (symlinks followed, a dangling one to the file
 * it would create) and must lie under a root configured for that role
 * (uchd.conf: source_root, destination_root, export_root, secret_root,
 * library_root), or be an attached volume's device.  Never, whatever
 * the roots: uchd's runtime dir, its state dir (but for roots inside
 * it), the token file, the TLS key and certificate, a device the system
 * uses (mounted, swap, or under either) and a file that backs a loop
 * device the system uses. */
#ifndef UCHD_CONFINE_H
#define UCHD_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "jobs/job-types.h"
#include "util/error.h"

enum confine_role {
  CONFINE_SOURCE,          /* disk images and inputs read */
  CONFINE_DESTINATION,     /* disks and folders written */
  CONFINE_EXPORT,          /* disks served over NBD */
  CONFINE_SECRET,          /* passwords, keys, PSKs, CA and host key files */
  CONFINE_LIBRARY,         /* VDDK's folder: code nbdkit loads */
  CONFINE_ROLES,
  CONFINE_REMOTE = -2,     /* a path on another host: not ours to judge */
  CONFINE_UNKNOWN = -1,    /* no rule: refused */
};

struct confine_roots {
  char **v;                /* resolved */
  size_t n;
};

struct confine {
  struct confine_roots roots[CONFINE_ROLES];
  char *state_dir;         /* resolved */
  char *runtime_dir;       /* resolved */
  char *never[3];          /* token file, TLS key, TLS certificate */
  char *by_id_dir;         /* attached volumes' by-id names */
  /* what the system uses: /proc/self/mountinfo, /proc/swaps, and where
   * loop devices are listed (/sys/block); tests point them elsewhere */
  char *mountinfo, *swaps, *sys_block;
  /* Whether a resolved path is a file a running export hands out (its
   * socket, its PSK file: uchd/export-files.c), which an NBD URI's
   * socket= or tls-psk-file= may name though it is in the runtime
   * dir; NULL: none is. */
  bool (*served)(void *opaque, const char *real);
  void *served_opaque;
};

/* The config key of each role ("source_root", ...). */
const char *confine_role_key(enum confine_role role);
/* The role of the path in `field` of a request of `kind`. */
int confine_role_of(enum job_kind kind, const char *field);

/* Fills *c: roots[role] as given (each resolved: realpath() when it is
 * there), the state and runtime dirs, the files never reachable (NULL
 * for none).  A root that is the state dir or holds what uchd keeps in
 * it (jobs/, destinations/, check/), or lies in the runtime dir, is an
 * error naming its key. */
int confine_init(struct confine *c, char **const roots[CONFINE_ROLES],
                 const size_t n_roots[CONFINE_ROLES], const char *state_dir,
                 const char *runtime_dir, const char *const never[3],
                 const char *by_id_dir, struct uch_error *err);
void confine_free(struct confine *c);

/* 0 when `path` may be used as `role`; else -1 and *err (code
 * "forbidden_path", field `field`, the message naming the path, what it
 * resolved to and the rule). */
int confine_check(const struct confine *c, enum confine_role role,
                  const char *field, const char *path, struct uch_error *err);

/* A request_path_fn (jobs/request.h) over a struct confine *.  An NBD
 * URI's file (`field` FIELD?socket or FIELD?tls-psk-file) may also be
 * one c->served() says a running export hands out; a refusal names
 * FIELD. */
int confine_request_path(void *opaque, enum job_kind kind, const char *field,
                         const char *path, struct uch_error *err);

/* One submit's judgement: secret files are judged as the validator
 * meets them (it reads them next), the other paths once the request is
 * otherwise valid (confine_pass_check()), so that a request with a
 * mistake in it is told of the mistake first. */
struct confine_path {
  enum job_kind kind;
  char *field;
  char *path;
};
struct confine_pass {
  const struct confine *c;
  struct confine_path *v;
  size_t n;
};
/* A request_path_fn over a struct confine_pass *. */
int confine_pass_path(void *opaque, enum job_kind kind, const char *field,
                      const char *path, struct uch_error *err);
/* The paths put off, in the order met: 0, or -1 and *err. */
int confine_pass_check(struct confine_pass *p, struct uch_error *err);
void confine_pass_free(struct confine_pass *p);

/* confine_request_path() on every local disk the typed request's job
 * type names (jobs/job-types.c: the disks a domain XML names too). */
int confine_request_disks(const struct confine *c,
                          const struct job_request *r, struct uch_error *err);

/* `path` with every symlink followed, a dangling one too (to the path
 * it names): the name a file not there yet will have once written. */
char *confine_resolve(const char *path);

#endif
