/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cipher of an NBD connection over TLS-PSK (bench/README.md, "TLS
 * at the speed of the link").  nbdkit and libnbd both ask gnutls for
 * "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK" and neither lets us change it.  A
 * PSK of theirs is tied to SHA-256, which rules out TLS_AES_256_GCM_SHA384,
 * the first suite of NORMAL, so the next one is taken: CHACHA20-POLY1305,
 * which gnutls computes in plain C (288 MB/s a core here, against 3.45
 * GB/s for AES-128-GCM with AES-NI).  gnutls reads one file of overrides,
 * named by GNUTLS_SYSTEM_PRIORITY_FILE, that can disable a cipher for
 * every priority string: ours disables CHACHA20-POLY1305, so
 * AES-128-GCM is negotiated.  It is given to the nbdkit processes that
 * speak TLS (the export, the nbd plugin reading an nbds:// source), and
 * only where the system has no gnutls configuration of its own (a
 * crypto-policies system decides its ciphers itself). */
#ifndef UCH_TLS_PRIORITY_H
#define UCH_TLS_PRIORITY_H

#include "runner/runner.h"
#include "util/argv.h"

#define TLS_PRIORITY_ENV "GNUTLS_SYSTEM_PRIORITY_FILE"
/* What our file says. */
#define TLS_PRIORITY_CONFIG \
  "[overrides]\ntls-disabled-cipher = CHACHA20-POLY1305\n"

/* The system's own gnutls configuration, when it has one: $TLS_PRIORITY_ENV
 * from `base` (the environment) if set, else the first of `paths`
 * (NULL-terminated) that exists; NULL when none. */
const char *tls_priority_system(char *const *base, const char *const *paths);
/* The default paths: Debian's gnutls, and crypto-policies' back end. */
extern const char *const tls_priority_system_paths[];
/* The environment of a TLS child: `base` with TLS_PRIORITY_ENV=conf. */
int tls_priority_env(struct argv *env, char *const *base, const char *conf);
/* Writes TLS_PRIORITY_CONFIG to path (0644); -1 with errno. */
int tls_priority_write(const char *path);
/* child_spawn() of a tool that speaks TLS: with RUNTIME/jobs/ID/gnutls.conf
 * as its TLS_PRIORITY_ENV, or as it is where the system has its own
 * configuration (the job log says which). */
struct child *tls_child_spawn(struct runner *r, const char *tool,
                              const struct argv *a);

#endif
