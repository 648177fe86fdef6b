/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify_disk over real NBD servers (nbdkit serving small files): equal
 * copies pass; data where the source has a hole, a changed byte in the
 * data, or a short copy each fail with where it differs. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libnbd.h>

#include "runner/runner.h"
#include "transfer/endpoint.h"
#include "transfer/extents.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"
#include "transfer/nbd-connect.h"
#include "transfer/verify.h"

#define MiB (1024 * 1024)

static char dir[] = "/tmp/test-transfer-verify.XXXXXX";
static struct runner r;
static int serial;

/* A sparse file of `size` with `len` bytes of `byte` at `off`. */
static void make_file(const char *path, off_t size, off_t off, size_t len,
                      int byte)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char *buf = malloc(len ? len : 1);
  memset(buf, byte, len);
  if (ftruncate(fd, size) < 0 || pwrite(fd, buf, len, off) != (ssize_t)len)
    abort();
  free(buf);
  close(fd);
}

static char *serve(const char *path)
{
  struct endpoint s = { 0 };
  struct job_failure f;
  char tag[16];

  snprintf(tag, sizeof tag, "s%d", serial++);
  if (path_serve(&r, path, tag, &s, &f) < 0) {
    printf("# %s\n", f.message);
    return NULL;
  }
  return s.uri;   /* the server runs until children_done */
}

/* Returns 1 equal, 0 different (message in f), -1 error. */
static int verify(const char *src, const char *dst, struct job_failure *f)
{
  _cleanup_free_ char *su = serve(src), *du = serve(dst);
  struct extents e = { 0 };
  struct nbd_handle *nbd;
  char err[256];
  bool equal = false;
  int ret = -1;

  if (!su || !du || !(nbd = uch_nbd_connect(su, NULL, NULL, err, sizeof err)))
    return -1;
  if (extents_from_nbd(nbd, &e, NULL, err, sizeof err) == 0 &&
      verify_disk(&r, 0, su, false, NULL, du, &e, &equal, f) == 0)
    ret = equal;
  nbd_close(nbd);
  extents_free(&e);
  return ret;
}

int main(void)
{
  char src[128], same[128], hole[128], changed[128], shorter[128];
  struct job_failure f = { "", "" };

  if (access("/usr/bin/nbdkit", X_OK) != 0 &&
      access("/usr/sbin/nbdkit", X_OK) != 0) {
    printf("1..0 # SKIP nbdkit not installed\n");
    return 77;
  }
  memset(&r, 0, sizeof r);
  mkdtemp(dir);
  r.rt_dir = dir;
  children_init(&r.kids, -1);

  snprintf(src, sizeof src, "%s/src", dir);
  snprintf(same, sizeof same, "%s/same", dir);
  snprintf(hole, sizeof hole, "%s/hole", dir);
  snprintf(changed, sizeof changed, "%s/changed", dir);
  snprintf(shorter, sizeof shorter, "%s/short", dir);
  make_file(src, 8 * MiB, 2 * MiB, MiB, 0xab);
  make_file(same, 8 * MiB, 2 * MiB, MiB, 0xab);
  make_file(hole, 8 * MiB, 2 * MiB, MiB, 0xab);
  {   /* data where the source has a hole */
    int fd = open(hole, O_WRONLY);
    if (pwrite(fd, "x", 1, 6 * MiB + 5) != 1)
      abort();
    close(fd);
  }
  make_file(changed, 8 * MiB, 2 * MiB, MiB, 0xab);
  {
    int fd = open(changed, O_WRONLY);
    if (pwrite(fd, "\x01", 1, 2 * MiB + 100) != 1)
      abort();
    close(fd);
  }
  make_file(shorter, 4 * MiB, 2 * MiB, MiB, 0xab);

  /* the verify's progress lands in the job document (not written out:
   * the last write is "in the future") */
  r.doc = json_tokener_parse("{\"disks\": [{}], \"progress\": {}}");
  r.last_write = 1e300;
  is_int(verify(src, same, &f), 1, "an equal copy verifies");
  {
    json_object *d = json_get(json_object_array_get_idx(json_get(r.doc,
                                                                 "disks"), 0),
                              "verify");
    json_object *p = json_get(json_get(r.doc, "progress"), "verify");
    ok(d && json_object_get_int64(json_get(d, "bytes_done")) == MiB &&
       json_object_get_int64(json_get(d, "bytes_total")) == MiB &&
       json_object_get_double(json_get(d, "percent")) == 100,
       "the disk's verify progress: 1 MiB of 1 MiB compared, 100%%");
    ok(p && json_object_get_int64(json_get(p, "bytes_done")) == MiB,
       "and the job's");
  }
  json_object_put(r.doc);
  r.doc = NULL;
  is_int(verify(src, hole, &f), 0, "data in a source hole is found");
  is_str(f.message, "the copy holds data at byte 6291461 where the source "
         "reads as zeroes", "and where");
  is_int(verify(src, changed, &f), 0, "a changed byte is found");
  is_str(f.message, "the copy differs from the source at byte 2097252",
         "and where");
  is_int(verify(src, shorter, &f), 0, "a short copy is found");
  is_str(f.message, "the copy is 4194304 bytes, the source 8388608",
         "with both sizes");

  children_done(&r.kids);
  for (const char *const *p = (const char *const[]){ src, same, hole, changed,
                                                     shorter, NULL };
       *p; p++)
    unlink(*p);
  rmdir(dir);
  return tap_done();
}
