/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Request validation, shared by uchd (POST /v1/jobs) and `uch-job run`.
 * The schemas are in docs/internals.md and docs/api.md. */
#ifndef UCH_REQUEST_H
#define UCH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "jobs/job-types.h"
#include "util/error.h"

/* A secret taken out of a request: the JSON path of the field it came
 * from ("disks[0].source.nbdkit.password") and its bytes. */
struct secret {
  char *field;
  char *value;
  size_t len;
};
struct secrets {
  struct secret *v;
  size_t n;
};

/* Validates `req` strictly (unknown fields, wrong types, missing fields,
 * relative paths, bad ids and names are errors naming the field).  On
 * success returns 0, sets *sanitized to a new object (inline secrets
 * replaced by "***") and appends every secret to *secrets (the content of
 * *_file secrets is read here).  On failure returns -1 and fills *err
 * (code "invalid_request"); *sanitized stays NULL. */
int request_validate(json_object *req, json_object **sanitized,
                     struct secrets *secrets, struct uch_error *err);

/* Asked by the validator about every local file or device path a
 * request names (each `*_file`, source, destination, output dir, the
 * socket= and tls-psk-file= of an NBD URI), `field` its JSON path (for
 * a URI's, FIELD?socket or FIELD?tls-psk-file) and `kind` the
 * request's job type, before anything reads it: non-zero and *err
 * filled (its own code and words) refuses the request.  uchd's
 * confinement policy (uchd/confine.c) is one. */
typedef int request_path_fn(void *opaque, enum job_kind kind,
                            const char *field, const char *path,
                            struct uch_error *err);
/* request_validate() that asks `fn` (with `opaque`) about each path. */
int request_validate_paths(json_object *req, json_object **sanitized,
                           struct secrets *secrets, request_path_fn *fn,
                           void *opaque, struct uch_error *err);

struct job_request;

/* Parses a request uchd accepted (as the worker finds it in state.json:
 * sanitised) into a new *out, by the same code as request_validate()
 * but without its checks of the host (files there, secrets read: the
 * secrets are in the runtime dir).  -1 and *err when it is not valid. */
int request_load(json_object *req, struct job_request **out,
                 struct uch_error *err);
void job_request_free(struct job_request *r);
static inline void job_request_freep(struct job_request **r)
{
  job_request_free(*r);
}

/* Parses a request body (at most `len` bytes, one JSON object, nothing
 * after it but whitespace); on failure fills *err naming the position. */
json_object *request_parse(const char *body, size_t len,
                           struct uch_error *err);

/* Arguments a convert request may pass to virt-v2v in options.extra_args:
 * flags that change how it works, never what it reads or writes. */
bool convert_extra_arg_allowed(const char *arg);

/* The body of POST /v1/jobs/{id}/sync or /cutover for the sync job whose
 * request is `job`: {"disks"?: [{"changed_extents"?: [[OFFSET, LENGTH],
 * ...], "bitmap"?: NAME, "change_id"?: STR}, ...], "rehearse"?: BOOL}.  A disk whose source
 * has no bitmap needs changed_extents.  Parsed into a new *out (when
 * out is not NULL). */
struct sync_request;
struct sync_pass;
int request_sync_pass(json_object *body, const struct sync_request *job,
                      struct sync_pass **out, struct uch_error *err);
void sync_pass_free(struct sync_pass *p);
/* The same for ACTION ("sync" or "cutover"): "rehearse" only on a sync
 * pass (the cutover converts for real). */
int request_sync_pass_action(json_object *body, const char *action,
                             const struct sync_request *job,
                             struct sync_pass **out, struct uch_error *err);
/* A pass request file the worker took (jobs/sync_request.h: {"action",
 * "body", "requested_at"}), or an empty object for an interval pass:
 * its trigger, and its body parsed into *out (NULL for an interval). */
enum pass_trigger { PASS_INTERVAL, PASS_SYNC, PASS_CUTOVER };
int request_sync_pass_file(json_object *file, const struct sync_request *job,
                           enum pass_trigger *trigger, struct sync_pass **out,
                           struct uch_error *err);
static inline void sync_pass_freep(struct sync_pass **p)
{
  sync_pass_free(*p);
}
/* The body of POST /v1/jobs/ID/digest for the sync job whose request is
 * `job`: {"disks": [DIGEST | null, ...]}, one entry a disk of the job,
 * each DIGEST as a digest job's result.disks[i].digest.  Parsed into a
 * new *out (when out is not NULL); 400s name the field. */
struct pass_digest;
int request_pass_digest(json_object *body, const struct sync_request *job,
                        struct pass_digest **out, struct uch_error *err);
void pass_digest_free(struct pass_digest *p);
static inline void pass_digest_freep(struct pass_digest **p)
{
  pass_digest_free(*p);
}

/* BW of "limits": {"bandwidth": BW}: "50M", bits per second. */
bool bandwidth_valid(const char *s);
/* BW in bits per second, 0 when it is not valid. */
uint64_t bandwidth_bits(const char *s);
/* The body of PATCH /v1/jobs/{id}: {"limits": {...}}, nothing else. */
int request_limits_patch(json_object *body, struct uch_error *err);

/* RUNTIME_JOB_DIR/secrets/FIELD with "[i]" written ".i". */
char *secret_path(const char *job_runtime_dir, const char *field);
/* Creates JOB_RUNTIME_DIR (0700) and secrets/ in it, writes each 0600. */
int secrets_store(const struct secrets *s, const char *job_runtime_dir);
/* Wipes the values and frees everything. */
void secrets_free(struct secrets *s);

#endif
