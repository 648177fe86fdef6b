/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building blocks of request validation (internal to jobs/request*.c):
 * JSON paths for error fields, and typed field checkers.  Every checker
 * returns 0 when the field is fine (or absent and optional) and -1 after
 * filling ctx->err, naming the field. */
#ifndef UCH_REQUEST_CHECK_H
#define UCH_REQUEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/error.h"

/* Long enough for any path the schemas allow; a longer one (only from
 * hostile input) is cut, which is harmless in an error message. */
#define FIELD_MAX 128

struct rq_ctx {
  struct uch_error *err;
  struct secrets *secrets;
  /* the worker parsing a request uchd accepted: its checks of the host
   * (files there, secrets read) were done at submit and are not again:
   * the secrets are in the runtime dir, a file may be gone (the job
   * fails on it, naming it, as it would had it gone a moment later) */
  bool accepted;
  /* asked about every path (request_validate_paths()), or NULL */
  request_path_fn *path_fn;
  void *path_opaque;
  enum job_kind kind;            /* set once "type" is known */
};

/* "parent.key", or "key" at the top level. */
void field_key(char out[FIELD_MAX], const char *parent, const char *key);
/* "parent[i]". */
void field_index(char out[FIELD_MAX], const char *parent, size_t i);

int rq_fail(struct rq_ctx *c, const char *field, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* Fails on the first key of `o` not in `allowed` (NULL-terminated). */
int check_known_keys(struct rq_ctx *c, json_object *o, const char *field,
                     const char *const *allowed);

/* Each getter looks up `key` in `o` (whose own path is `parent`).
 * `required` makes absence an error; when absent *out is left as is. */
int get_object(struct rq_ctx *c, json_object *o, const char *parent,
               const char *key, bool required, json_object **out);
int get_array(struct rq_ctx *c, json_object *o, const char *parent,
              const char *key, bool required, json_object **out);
/* Non-empty, no NUL byte. */
int get_string(struct rq_ctx *c, json_object *o, const char *parent,
               const char *key, bool required, const char **out);
int get_bool(struct rq_ctx *c, json_object *o, const char *parent,
             const char *key, bool required, bool *out);
int get_int(struct rq_ctx *c, json_object *o, const char *parent,
            const char *key, bool required, int64_t min, int64_t max,
            int64_t *out);
/* Asks c->path_fn (when there is one, and not for an accepted
 * request) about `path`, named by `field`: -1 with c->err filled when
 * it refuses. */
int rq_path_allowed(struct rq_ctx *c, const char *field, const char *path);
/* Absolute, no ".." component; then rq_path_allowed(). */
int get_abs_path(struct rq_ctx *c, json_object *o, const char *parent,
                 const char *key, bool required, const char **out);
/* [A-Za-z0-9._-]{1,64}, not "." or "..". */
int get_name(struct rq_ctx *c, json_object *o, const char *parent,
             const char *key, bool required, const char **out);
/* One of `choices` (NULL-terminated). */
int get_enum(struct rq_ctx *c, json_object *o, const char *parent,
             const char *key, bool required, const char *const *choices,
             const char **out);

/* A host name, IPv4 address or bracketed IPv6 address. */
bool host_valid(const char *host);
/* "HOST:PORT" with PORT in 1..65535. */
bool host_port_valid(const char *s);

/* Reads a *_file secret after check_private_file() and appends it to
 * ctx->secrets under `secret_field`. */
int take_file_secret(struct rq_ctx *c, const char *path_field,
                     const char *path, const char *secret_field);
int take_inline_secret(struct rq_ctx *c, const char *field,
                       const char *value);

/* "disks": an array of 1..REQUEST_MAX_DISKS objects. */
int get_disks(struct rq_ctx *c, json_object *req, json_object **disks,
              size_t *n);

/* Per-type and per-object validators. */
int check_labels(struct rq_ctx *c, json_object *req);
int parse_copy(struct rq_ctx *c, json_object *req, struct job_request *out);
/* copy and sync (jobs/copy-disks.c): every source read (a path, a
 * volume, the nbdkit file plugin's file), then every destination
 * written, from the typed disks. */
int copy_request_disks(const struct copy_disk_request *disks, size_t n,
                       job_disk_fn *fn, void *opaque);
int copy_disks(const struct job_request *r, job_disk_fn *fn, void *opaque);
/* fn for a path, or else a volume with an id, under the field
 * PREFIX.path / PREFIX.volume; 0 when there is neither */
int disk_path_or_volume(const char *path, const struct rq_volume *v,
                        const char *prefix, bool writes, job_disk_fn *fn,
                        void *opaque);
int parse_export(struct rq_ctx *c, json_object *req, struct job_request *out);
int parse_convert(struct rq_ctx *c, json_object *req, struct job_request *out);
int parse_inplace(struct rq_ctx *c, json_object *req, struct job_request *out);
/* A convert or inplace request's "options" (root, macs, luks_keys,
 * memsize_mib, smp, extra_args), whose path is `field`, into *out. */
int parse_convert_options(struct rq_ctx *c, json_object *opts,
                          const char *field, struct v2v_options *out);
/* What an inplace conversion needs to know of the guest: "name",
 * "memory_mib", "vcpus", "firmware", "macs", "options", in `o` (whose
 * path is `parent`); `keys` are the keys `o` may have. */
int parse_inplace_guest(struct rq_ctx *c, json_object *o, const char *parent,
                        const char *const *keys, struct rq_inplace_guest *out);
/* {"mac": "xx:xx:xx:xx:xx:xx", "network"?: NAME, "bridge"?: NAME, ...}
 * with only `keys`: the parts convert's options.macs and inplace's macs
 * share; *net and *bridge are set when given. */
int check_mac_entry(struct rq_ctx *c, json_object *m, const char *field,
                    const char *const *keys, const char **net,
                    const char **bridge);
int parse_inspect(struct rq_ctx *c, json_object *req, struct job_request *out);
int parse_sync(struct rq_ctx *c, json_object *req, struct job_request *out);
/* jobs/request_digest.c: the "digest" request, and a pass disk's
 * "verify" (in `disk`, whose path is `field`) into *out, its pieces
 * owned by *owned; `changes` the disk's, which a digest object must go
 * with; "verify": true sets *posted (the digest is posted later). */
int parse_digest(struct rq_ctx *c, json_object *req, struct job_request *out);
int parse_pass_verify(struct rq_ctx *c, json_object *disk, const char *field,
                      const struct rq_changes *changes,
                      struct rq_owned **owned, struct rq_digest *out,
                      bool *posted);
/* Memory a parsed request owns (request_copy.c): n zeroed elements of
 * `size` added to *list; NULL when out of memory. */
void *rq_owned_alloc(struct rq_owned **list, size_t n, size_t size);
void rq_owned_free(struct rq_owned **list);
/* [[OFFSET, LENGTH], ...] into out (CHANGES_EXTENTS), its extents
 * owned by *owned (request_copy.c) */
int parse_extent_list(struct rq_ctx *c, json_object *list, const char *field,
                      struct rq_owned **owned, struct rq_changes *out);
/* SOURCE, filling *out (an nbdkit one for copy and sync only: the
 * callers of other types refuse it first). */
int parse_source(struct rq_ctx *c, json_object *source, const char *field,
                 struct rq_source *out);
/* DEST, filling *out. */
int parse_destination(struct rq_ctx *c, json_object *dest, const char *field,
                      struct rq_destination *out);
/* A disk image to read: absolute, and existing now as a regular file or
 * block device. */
int check_image_path(struct rq_ctx *c, json_object *o, const char *parent,
                     const char *key);
int check_nbd_uri(struct rq_ctx *c, const char *uri, const char *field);
int parse_nbdkit(struct rq_ctx *c, json_object *nbdkit, const char *field,
                 struct rq_nbdkit *out);
/* {"volume": ID, "wait_s"?: N} (o is the source or destination). */
int check_volume(struct rq_ctx *c, json_object *o, const char *field);
/* The same, filling *out (wait_s 0 when absent). */
int parse_volume(struct rq_ctx *c, json_object *o, const char *field,
                 struct rq_volume *out);
/* request_limits.c: o's optional "limits" object (*out zero when
 * absent). */
int parse_limits(struct rq_ctx *c, json_object *o, const char *parent,
                 struct rq_limits *out);
/* "link" of a copy: *out zeroed when absent */
int parse_link(struct rq_ctx *c, json_object *o, const char *parent,
               struct rq_link *out);

/* secrets.c */
int secrets_add(struct secrets *s, const char *field, const char *value,
                size_t len);

#endif
