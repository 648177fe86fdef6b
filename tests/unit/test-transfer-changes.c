/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A changed-extent list from a request (CBT): sorted, overlapping and
 * touching ranges merged, clipped to the disk, bad entries refused. */
#include "transfer/incremental.h"
#include "util/jsonutil.h"
#include "util/cleanup.h"
#include "tap.h"

/* [[OFFSET, LENGTH], ...] as the request's parser leaves it */
static int list(const char *json, uint64_t size, struct extents *e)
{
  _cleanup_json_ json_object *o = json_tokener_parse(json);
  size_t n = json_object_array_length(o);
  struct rq_extent v[16];

  for (size_t i = 0; i < n && i < 16; i++) {
    json_object *p = json_object_array_get_idx(o, i);
    v[i] = (struct rq_extent){
      (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 0)),
      (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 1)) };
  }
  *e = (struct extents){ 0 };
  return changes_from_list(v, n, size, e);
}

int main(void)
{
  struct extents e;

  is_int(list("[[4096, 4096], [0, 4096], [65536, 512]]", 1 << 20, &e), 0,
         "three ranges");
  is_int((int)e.n, 2, "the touching two merged");
  ok(e.n == 2 && e.v[0].offset == 0 && e.v[0].length == 8192 &&
     e.v[1].offset == 65536 && e.v[1].length == 512, "sorted, merged");
  is_int((int)e.allocated, 8192 + 512, "changed bytes counted once");
  extents_free(&e);

  is_int(list("[[0, 10000], [5000, 10000]]", 1 << 20, &e), 0, "overlap");
  ok(e.n == 1 && e.v[0].length == 15000 && e.allocated == 15000,
     "overlapping ranges: one, counted once");
  extents_free(&e);

  is_int(list("[[1000, 5000], [9000, 10]]", 4096, &e), 0, "past the end");
  ok(e.n == 1 && e.v[0].offset == 1000 && e.v[0].length == 3096,
     "clipped to the disk, beyond it dropped");
  extents_free(&e);

  is_int(list("[]", 4096, &e), 0, "nothing changed");
  is_int((int)e.allocated, 0, "no bytes");
  extents_free(&e);

  ok(list("[[0, 0]]", 4096, &e) < 0, "a zero length is refused");
  extents_free(&e);
  /* a negative offset never gets here: test-jobs-request */
  return tap_done();
}
