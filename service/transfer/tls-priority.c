/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runner/tools.h"
#include "transfer/tls-priority.h"
#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

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
