/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/gnutls.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/tls-priority.h"

const char *const tls_priority_system_paths[] = {
  "/etc/gnutls/config",
  "/etc/crypto-policies/back-ends/gnutls.config",
  NULL,
};

static const char *env_value(char *const *base, const char *name)
{
  size_t n = strlen(name);

  for (size_t i = 0; base && base[i]; i++)
    if (strncmp(base[i], name, n) == 0 && base[i][n] == '=')
      return base[i] + n + 1;
  return NULL;
}

/* A file with our overrides (uchd's, given to the worker): not the
 * system's */
static bool is_ours(const char *path)
{
  _cleanup_free_ char *text = NULL;
  size_t len;

  return read_file(path, &text, &len) == 0 &&
         len == strlen(TLS_PRIORITY_CONFIG) &&
         memcmp(text, TLS_PRIORITY_CONFIG, len) == 0;
}

const char *tls_priority_system(char *const *base, const char *const *paths)
{
  const char *v = env_value(base, TLS_PRIORITY_ENV);

  if (v && v[0] && !is_ours(v))
    return v;
  for (size_t i = 0; paths && paths[i]; i++)
    if (access(paths[i], F_OK) == 0)
      return paths[i];
  return NULL;
}

int tls_priority_env(struct argv *env, char *const *base, const char *conf)
{
  size_t n = strlen(TLS_PRIORITY_ENV);

  for (size_t i = 0; base && base[i]; i++)
    if (!(strncmp(base[i], TLS_PRIORITY_ENV, n) == 0 && base[i][n] == '=') &&
        argv_add(env, base[i]) < 0)
      return -1;
  return argv_addf(env, "%s=%s", TLS_PRIORITY_ENV, conf);
}

int tls_priority_write(const char *path)
{
  return write_file_atomic(path, TLS_PRIORITY_CONFIG,
                           strlen(TLS_PRIORITY_CONFIG), 0644);
}

/* libnbd's (lib/crypto.c) */
#define LIBNBD_PSK_PRIORITY "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"

int tls_priority_allows_chacha20(void)
{
  gnutls_priority_t p;
  const unsigned *list;
  int n, ret = 0;

  if (gnutls_priority_init(&p, LIBNBD_PSK_PRIORITY, NULL) < 0)
    return -1;
  n = gnutls_priority_cipher_list(p, &list);
  if (n < 0)
    ret = -1;
  for (int i = 0; i < n; i++)
    if (list[i] == GNUTLS_CIPHER_CHACHA20_POLY1305)
      ret = 1;
  gnutls_priority_deinit(p);
  return ret;
}
