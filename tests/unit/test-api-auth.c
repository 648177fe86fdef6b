/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bearer token check, and the token file created 0600 when missing and
 * read back the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth.h"
#include "tap.h"

static void write_token(const char *path, const char *text, mode_t mode)
{
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) < 0)
    abort();
}

int main(void)
{
  ok(auth_header_ok("Bearer s3cret", "s3cret"), "right token");
  ok(auth_header_ok("bearer s3cret", "s3cret"), "scheme is case-insensitive");
  ok(!auth_header_ok("Bearer s3cre", "s3cret"), "shorter");
  ok(!auth_header_ok("Bearer s3cretx", "s3cret"), "longer");
  ok(!auth_header_ok("Bearer S3cret", "s3cret"), "token is case-sensitive");
  ok(!auth_header_ok("Basic s3cret", "s3cret"), "other scheme");
  ok(!auth_header_ok("s3cret", "s3cret"), "no scheme");
  ok(!auth_header_ok(NULL, "s3cret"), "no header");
  ok(!auth_header_ok("Bearer ", "s3cret"), "empty token");

  char dir[] = "/tmp/test-api-auth.XXXXXX";
  if (!mkdtemp(dir))
    abort();
  char path[64];
  strcpy(path, dir);
  strcat(path, "/token");
  char why[256] = "";
  char *t1 = token_load_or_create(path, why, sizeof why);
  struct stat st;
  ok(t1 && strlen(t1) == 64, "created a 64-hex-digit token");
  ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "file is 0600");
  char *t2 = token_load_or_create(path, why, sizeof why);
  is_str(t2, t1, "read back the same");
  unlink(path);
  write_token(path, "first-line-token \n# a comment\n", 0600);
  char *t3 = token_load_or_create(path, why, sizeof why);
  is_str(t3, "first-line-token", "the token is the first line");
  free(t3);

  /* refused: readable by group or others, or shorter than 16 bytes */
  chmod(path, 0640);
  ok(!token_load_or_create(path, why, sizeof why) && strstr(why, path) &&
     strstr(why, "chmod 600"), "group-readable refused: %s", why);
  chmod(path, 0604);
  ok(!token_load_or_create(path, why, sizeof why) && strstr(why, path),
     "world-readable refused: %s", why);
  write_token(path, "fifteen-bytes-x\n", 0600);
  ok(!token_load_or_create(path, why, sizeof why) && strstr(why, path) &&
     strstr(why, "shorter than 16 bytes"), "short token refused: %s", why);
  write_token(path, "\n", 0600);
  ok(!token_load_or_create(path, why, sizeof why) &&
     strstr(why, "shorter than 16 bytes"), "empty token refused: %s", why);
  unlink(path);
  rmdir(dir);
  free(t1);
  free(t2);
  return tap_done();
}
