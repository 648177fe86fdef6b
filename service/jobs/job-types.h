/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job types: one entry each, as a backend is in nbdcopy.  What the
 * validator and uchd need of a type: its name, how its request is
 * checked, and the local disks it reads and writes (uchd's conflict
 * check).  The worker adds how it runs (worker/job-types.c). */
#ifndef UCH_JOB_TYPES_H
#define UCH_JOB_TYPES_H

#include <stdbool.h>
#include <json-c/json.h>

struct rq_ctx;
struct job_request;

/* The job types, by number: the worker's table of run functions
 * (worker/job-types.c) is indexed by it, so a type's name is written
 * once, here in jobs/, and nothing past the parser compares names. */
enum job_kind {
  JOB_COPY,
  JOB_EXPORT,
  JOB_CONVERT,
  JOB_INPLACE,
  JOB_INSPECT,
  JOB_SYNC,
  JOB_DIGEST,
};
#define JOB_KINDS 7

/* One local disk a request names: `field` its JSON path, and either a
 * `path` (file or device) or a `volume` id.  Non-zero stops the walk. */
typedef int job_disk_fn(void *opaque, const char *field, const char *path,
                        const char *volume, bool writes);

struct job_type {
  enum job_kind kind;
  const char *name;                         /* the request's "type" */
  /* checks what is particular to the type and fills out->u (request.c
   * does type, id and labels); a type not typed yet fills nothing */
  int (*parse)(struct rq_ctx *c, json_object *req, struct job_request *out);
  /* calls fn for every local disk the typed request reads or writes */
  int (*disks)(const struct job_request *r, job_disk_fn *fn, void *opaque);
};

/* The entry for `name`, or NULL. */
const struct job_type *job_type_find(const char *name);
/* The entry of a (valid) request's "type", or NULL. */
const struct job_type *job_type_of(json_object *request);
/* The entry of `kind`. */
const struct job_type *job_type_get(enum job_kind kind);
/* Calls fn for every local disk the typed request `r` reads or writes
 * (its type's `disks`).  fn's non-zero stops the walk and is returned. */
int job_request_disks(const struct job_request *r, job_disk_fn *fn,
                      void *opaque);

#endif
