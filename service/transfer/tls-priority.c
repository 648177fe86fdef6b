/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runner/tools.h"
#include "transfer/tls-priority.h"
#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

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

const char *tls_priority_system(char *const *base, const char *const *paths)
{
  const char *v = env_value(base, TLS_PRIORITY_ENV);

  if (v && v[0])
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

struct child *tls_child_spawn(struct runner *r, const char *tool,
                              const struct argv *a)
{
  _cleanup_free_ char *conf = runtime_path(r, "gnutls.conf");
  _cleanup_argv_ struct argv env = { 0 };
  const char *sys = tls_priority_system(environ, tls_priority_system_paths);

  if (sys) {
    runner_log(r, "%s: the system's gnutls configuration %s chooses the "
               "TLS cipher", tool, sys);
    return child_spawn(&r->kids, tool, a, -1);
  }
  if (!conf || tls_priority_write(conf) < 0 ||
      tls_priority_env(&env, environ, conf) < 0) {
    int err = errno;
    runner_log(r, "%s: %s: %s", tool, conf ? conf : "gnutls.conf",
               strerror(err));
    errno = err;
    return NULL;
  }
  runner_log(r, "%s: TLS without CHACHA20-POLY1305 (%s=%s)", tool,
             TLS_PRIORITY_ENV, conf);
  return child_spawn_env(&r->kids, tool, a, -1, env.v);
}
