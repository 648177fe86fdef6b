/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A raw destination: a missing file is created, an existing one gets the
 * source's size, anything but a file or block device is refused with a
 * message naming it. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transfer/endpoint.h"
#include "tap.h"

static long long size_of(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(void)
{
  char dir[] = "/tmp/test-transfer-raw.XXXXXX";
  char path[128], missing[160];
  struct job_failure f = { "", "" };

  mkdtemp(dir);
  snprintf(path, sizeof path, "%s/out.img", dir);
  ok(raw_prepare(path, 1 << 20, &f) == 0, "missing file created");
  is_int(size_of(path), 1 << 20, "with the source's size");
  ok(raw_prepare(path, 4096, &f) == 0, "existing file");
  is_int(size_of(path), 4096, "resized to the source's size");

  ok(raw_prepare("/dev/null", 4096, &f) < 0, "a character device is refused");
  is_str(f.message, "/dev/null: not a regular file or block device",
         "and named");
  snprintf(missing, sizeof missing, "%s/no/such.img", dir);
  ok(raw_prepare(missing, 4096, &f) < 0, "missing directory");
  ok(strstr(f.message, "No such file or directory") != NULL, "%s", f.message);

  unlink(path);
  rmdir(dir);
  return tap_done();
}
