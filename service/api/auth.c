/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "api/auth.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char *token_create(const char *path)
{
  unsigned char raw[32];
  char hex[sizeof raw * 2 + 2];
  _cleanup_close_ int fd = -1;

  if (getrandom(raw, sizeof raw, 0) != sizeof raw)
    return NULL;
  for (size_t i = 0; i < sizeof raw; i++)
    sprintf(hex + 2 * i, "%02x", raw[i]);
  strcat(hex, "\n");
  /* O_EXCL: never replace a token someone else just wrote */
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return NULL;
  if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) < 0) {
    int saved = errno;
    unlink(path);
    errno = saved;
    return NULL;
  }
  hex[sizeof raw * 2] = '\0';
  return strdup(hex);
}

static char *token_fail(char *why, size_t len, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static char *token_fail(char *why, size_t len, const char *fmt, ...)
{
  int saved = errno;
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  errno = saved;
  return NULL;
}

char *token_load_or_create(const char *path, char *why, size_t why_len)
{
  _cleanup_free_ char *data = NULL;
  char *token;
  size_t len;

  if (check_private_file(path) < 0) {
    if (errno == ENOENT) {
      if ((token = token_create(path)))
        return token;
      return token_fail(why, why_len, "cannot create %s: %m", path);
    }
    if (private_file_rule(errno))
      return token_fail(why, why_len, "%s %s", path, private_file_rule(errno));
    return token_fail(why, why_len, "%s: %m", path);
  }
  if (read_file(path, &data, &len) < 0)
    return token_fail(why, why_len, "cannot read %s: %m", path);
  /* the token is the file's first line */
  data[strcspn(data, "\n")] = '\0';
  len = strlen(data);
  while (len > 0 && strchr(" \t\r", data[len - 1]))
    data[--len] = '\0';
  if (len < TOKEN_MIN) {
    errno = EINVAL;
    return token_fail(why, why_len, "the token in %s (its first line) is "
                      "shorter than %d bytes", path, TOKEN_MIN);
  }
  token = data;
  data = NULL;
  return token;
}

bool auth_header_ok(const char *header, const char *token)
{
  static const char prefix[] = "Bearer ";
  size_t n, tn = strlen(token);
  unsigned char diff = 0;

  if (!header || strncasecmp(header, prefix, sizeof prefix - 1) != 0)
    return false;
  header += sizeof prefix - 1;
  n = strlen(header);
  /* every byte of the token is compared, whatever the length given */
  for (size_t i = 0; i < tn; i++)
    diff |= (unsigned char)token[i] ^ (unsigned char)(i < n ? header[i] : 0);
  return diff == 0 && n == tn;
}
