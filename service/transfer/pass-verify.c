/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transfer/digest.h"
#include "transfer/incremental.h"
#include "transfer/pass-verify.h"
#include "util/cleanup.h"
#include "util/timeutil.h"

/* The first byte the pass wrote (the changed extents, merged and
 * clipped to the disk as the pass took them) that no piece covers:
 * *off, *len of that stretch; 0 when all are covered. */
static int uncovered(const struct extents *e, const struct rq_digest *v,
                     uint64_t *off, uint64_t *len)
{
  size_t j = 0;

  for (size_t i = 0; i < e->n; i++) {
    uint64_t pos = e->v[i].offset, end = pos + e->v[i].length;
    while (pos < end) {
      while (j < v->n && v->pieces[j].offset + v->pieces[j].length <= pos)
        j++;
      if (j == v->n || v->pieces[j].offset > pos) {
        uint64_t stop = j < v->n && v->pieces[j].offset < end
                        ? v->pieces[j].offset : end;
        *off = pos;
        *len = stop - pos;
        return 1;
      }
      pos = v->pieces[j].offset + v->pieces[j].length;
    }
  }
  return 0;
}

/* The destination open for reading and its size, or -1 with f set. */
static int open_destination(size_t disk, const char *dst_path, int64_t *size,
                            struct job_failure *f)
{
  int fd = open(dst_path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || (*size = digest_fd_size(fd)) < 0) {
    failure_set(f, "verify_failed", "disks[%zu].destination: %s: %s", disk,
                dst_path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

int pass_verify_check(size_t disk, const char *dst_path,
                      const struct rq_changes *changes,
                      const struct rq_digest *v, struct job_failure *f)
{
  _cleanup_close_ int fd = -1;
  struct extents e = { 0 };
  uint64_t off, len;
  int64_t size;
  int ret = -1;

  if ((fd = open_destination(disk, dst_path, &size, f)) < 0)
    return -1;
  if (changes_from_list(changes->extents, changes->n_extents, (uint64_t)size,
                        &e) < 0) {
    failure_set(f, "internal", "out of memory");
    goto out;
  }
  if (uncovered(&e, v, &off, &len)) {
    failure_set(f, "verify_failed", "disks[%zu].verify: the pass would "
                "write [%llu, %llu], which no piece of the source's digest "
                "covers (digest the pass's changed_extents); nothing of "
                "this pass was written", disk, (unsigned long long)off,
                (unsigned long long)len);
    goto out;
  }
  for (size_t i = 0; i < v->n; i++) {
    const struct rq_digest_piece *q = &v->pieces[i];
    if (q->offset >= (uint64_t)size || q->length > (uint64_t)size - q->offset) {
      failure_set(f, "verify_failed", "disks[%zu].verify.extents[%zu]: "
                  "[%llu, %llu] ends past the destination (%lld bytes); "
                  "nothing of this pass was written", disk, i,
                  (unsigned long long)q->offset,
                  (unsigned long long)q->length, (long long)size);
      goto out;
    }
  }
  ret = 0;
out:
  extents_free(&e);
  return ret;
}

/* -1 with f set (verify_mismatch) at the first piece of `p` whose
 * digest is not the source's, the job log having both. */
static int compare(struct runner *r, size_t disk, const char *dst_path,
                   const struct digest_piece *p, const struct rq_digest *v,
                   struct job_failure *f)
{
  for (size_t i = 0; i < v->n; i++)
    if (strcmp(p[i].sha256, v->pieces[i].sha256) != 0) {
      failure_set(f, "verify_mismatch", "disks[%zu]: the destination "
                  "differs from the source's digest in the extent [%llu, "
                  "%llu] (offset %llu, length %llu) after this pass: %s "
                  "was changed behind UCH's back or the source was not "
                  "what the digest read", disk,
                  (unsigned long long)p[i].offset,
                  (unsigned long long)p[i].length,
                  (unsigned long long)p[i].offset,
                  (unsigned long long)p[i].length, dst_path);
      runner_log(r, "disk %zu: piece [%llu, %llu]: destination %s, source "
                 "%s", disk + 1, (unsigned long long)p[i].offset,
                 (unsigned long long)p[i].length, p[i].sha256,
                 v->pieces[i].sha256);
      return -1;
    }
  return 0;
}

static void extents_freep(struct extents *e)
{
  extents_free(e);
}

int pass_verify(struct runner *r, size_t disk, const char *dst_path,
                const struct rq_changes *changes, const struct rq_digest *v,
                json_object *res, struct job_failure *f)
{
  _cleanup_free_ struct digest_piece *p = calloc(v->n, sizeof *p);
  _cleanup_close_ int fd = -1;
  _cleanup_(extents_freep) struct extents e = { 0 };
  double t0 = time_monotonic();
  size_t failed = 0;
  int64_t size;
  json_object *o;

  if (!p) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  /* the pass has not changed the disk's size, but check again: a
   * piece past the end would read short */
  if (pass_verify_check(disk, dst_path, changes, v, f) < 0 ||
      (fd = open_destination(disk, dst_path, &size, f)) < 0)
    return -1;
  if (changes_from_list(changes->extents, changes->n_extents, (uint64_t)size,
                        &e) < 0) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  for (size_t i = 0; i < v->n; i++) {
    p[i].offset = v->pieces[i].offset;
    p[i].length = v->pieces[i].length;
  }
  /* each piece hashes the changed extents inside it, as the source's
   * digest job did of the same list */
  digest_place(&e, p, v->n);
  runner_log(r, "disk %zu: verifying %llu bytes in %zu pieces against the "
             "source's digest", disk + 1, (unsigned long long)e.allocated,
             v->n);
  if (digest_compute(r, fd, &e, p, v->n, 0, &failed) < 0) {
    if (!r->kids.cancelled)
      failure_set(f, "verify_failed", "disks[%zu].destination: %s: reading "
                  "[%llu, %llu]: %s", disk, dst_path,
                  (unsigned long long)p[failed].offset,
                  (unsigned long long)p[failed].length, strerror(errno));
    return -1;
  }
  if (compare(r, disk, dst_path, p, v, f) < 0)
    return -1;
  o = json_object_new_object();
  json_object_object_add(o, "pieces", json_object_new_int64((int64_t)v->n));
  json_object_object_add(o, "bytes",
                         json_object_new_int64((int64_t)e.allocated));
  json_object_object_add(o, "seconds", json_object_new_double(
    (double)(int64_t)((time_monotonic() - t0) * 1000) / 1000));
  json_object_object_add(res, "verified", o);
  return 0;
}

#define OWN_CHUNK ((uint64_t)16 << 20)   /* a digest job's by default */

void pass_own_digest_free(struct pass_own_digest *own)
{
  extents_free(&own->e);
  free(own->p);
  own->p = NULL;
  own->n = 0;
}

/* [0, end) as the extents of a whole disk of `size` bytes */
static int whole_extents(uint64_t end, uint64_t size, struct extents *e)
{
  struct rq_extent all = { 0, end };

  extents_free(e);
  memset(e, 0, sizeof *e);
  return end == 0 ? 0 : changes_from_list(&all, 1, size, e);
}

int pass_own_digest(struct runner *r, size_t disk, const char *dst_path,
                    const struct rq_changes *changes,
                    struct pass_own_digest *own, struct job_failure *f)
{
  _cleanup_close_ int fd = -1;
  double t0 = time_monotonic();
  size_t failed = 0;

  memset(own, 0, sizeof *own);
  own->whole = !changes || changes->kind != CHANGES_EXTENTS;
  if ((fd = open_destination(disk, dst_path, &own->size, f)) < 0)
    return -1;
  if ((own->whole
       ? whole_extents((uint64_t)own->size, (uint64_t)own->size, &own->e)
       : changes_from_list(changes->extents, changes->n_extents,
                           (uint64_t)own->size, &own->e)) < 0 ||
      digest_cut(&own->e, OWN_CHUNK, &own->p, &own->n) < 0) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  runner_log(r, "disk %zu: digest of the %llu bytes this pass wrote, in %zu "
             "pieces, before the source's arrives", disk + 1,
             (unsigned long long)own->e.allocated, own->n);
  if (digest_compute(r, fd, &own->e, own->p, own->n, 0, &failed) < 0) {
    if (!r->kids.cancelled)
      failure_set(f, "verify_failed", "disks[%zu].destination: %s: reading "
                  "[%llu, %llu]: %s", disk, dst_path,
                  (unsigned long long)own->p[failed].offset,
                  (unsigned long long)own->p[failed].length,
                  strerror(errno));
    return -1;
  }
  own->seconds = time_monotonic() - t0;
  return 0;
}

/* Whether the source's pieces are the windows `own` has digested. */
static bool same_windows(const struct pass_own_digest *own,
                         const struct rq_digest *v)
{
  if (own->n != v->n)
    return false;
  for (size_t i = 0; i < v->n; i++)
    if (own->p[i].offset != v->pieces[i].offset ||
        own->p[i].length != v->pieces[i].length)
      return false;
  return true;
}

int pass_verify_posted(struct runner *r, size_t disk, const char *dst_path,
                       struct pass_own_digest *own, const struct rq_digest *v,
                       double waited_s, json_object *res,
                       struct job_failure *f)
{
  const struct rq_digest_piece *last = &v->pieces[v->n - 1];
  uint64_t end = last->offset + last->length, off, len;
  double t0 = time_monotonic(), again = 0;
  json_object *o;

  if (end > (uint64_t)own->size) {
    failure_set(f, "verify_failed", "disks[%zu].digest: the piece [%llu, "
                "%llu] ends past the destination (%lld bytes)", disk,
                (unsigned long long)last->offset,
                (unsigned long long)last->length, (long long)own->size);
    return -1;
  }
  /* the whole disk: the source's, as its digest job clipped [0, ...] to
   * it; a destination bigger than the source holds nothing past it */
  if (own->whole && end != own->e.size &&
      whole_extents(end, (uint64_t)own->size, &own->e) < 0) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  if (uncovered(&own->e, v, &off, &len)) {
    failure_set(f, "verify_failed", "disks[%zu].digest: this pass wrote "
                "[%llu, %llu], which no piece of the source's digest covers "
                "(digest %s); the pass is not verified", disk,
                (unsigned long long)off, (unsigned long long)len,
                own->whole ? "the whole disk, [[0, SIZE]]"
                           : "the pass's changed_extents");
    return -1;
  }
  if (!same_windows(own, v)) {
    /* pieces of another size: the destination digested again in them */
    _cleanup_close_ int fd = -1;
    struct digest_piece *p = calloc(v->n, sizeof *p);
    size_t failed = 0;
    int64_t size;
    if (!p) {
      failure_set(f, "internal", "out of memory");
      return -1;
    }
    free(own->p);
    own->p = p;
    own->n = v->n;
    for (size_t i = 0; i < v->n; i++) {
      p[i].offset = v->pieces[i].offset;
      p[i].length = v->pieces[i].length;
    }
    digest_place(&own->e, p, v->n);
    runner_log(r, "disk %zu: the source's pieces are not the destination's: "
               "digesting again in them", disk + 1);
    if ((fd = open_destination(disk, dst_path, &size, f)) < 0)
      return -1;
    if (digest_compute(r, fd, &own->e, p, v->n, 0, &failed) < 0) {
      if (!r->kids.cancelled)
        failure_set(f, "verify_failed", "disks[%zu].destination: %s: "
                    "reading [%llu, %llu]: %s", disk, dst_path,
                    (unsigned long long)p[failed].offset,
                    (unsigned long long)p[failed].length, strerror(errno));
      return -1;
    }
    again = time_monotonic() - t0;
  }
  if (compare(r, disk, dst_path, own->p, v, f) < 0)
    return -1;
  o = json_object_new_object();
  json_object_object_add(o, "pieces", json_object_new_int64((int64_t)v->n));
  json_object_object_add(o, "bytes",
                         json_object_new_int64((int64_t)own->e.allocated));
  json_object_object_add(o, "seconds", json_object_new_double(
    (double)(int64_t)((own->seconds + again) * 1000) / 1000));
  json_object_object_add(o, "waited_seconds", json_object_new_double(
    (double)(int64_t)(waited_s * 1000) / 1000));
  json_object_object_add(res, "verified", o);
  return 0;
}
