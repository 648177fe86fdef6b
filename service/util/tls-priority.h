/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cipher of an NBD connection over TLS-PSK (bench/README.md, "TLS
 * at the speed of the link").  nbdkit and libnbd both ask gnutls for
 * "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK" and neither lets us change it.  A
 * PSK of theirs is tied to SHA-256, which rules out TLS_AES_256_GCM_SHA384,
 * the first suite of NORMAL, so the next one is taken: CHACHA20-POLY1305,
 * which gnutls computes in plain C (288 MB/s a core here, against 3.45
 * GB/s for AES-128-GCM with AES-NI).  gnutls reads one file of overrides,
 * named by GNUTLS_SYSTEM_PRIORITY_FILE, when it loads, that can disable
 * a cipher for every priority string: ours disables CHACHA20-POLY1305,
 * so AES-128-GCM is negotiated.  It is given to the processes that speak
 * TLS (the export's nbdkit; uch-job, whose libnbd reads an nbds://
 * source, in the environment uchd starts it with), and only where the
 * system has no gnutls configuration of its own (a crypto-policies
 * system decides its ciphers itself).  Pure, but for the file. */
#ifndef UCH_UTIL_TLS_PRIORITY_H
#define UCH_UTIL_TLS_PRIORITY_H

#include "util/argv.h"

#define TLS_PRIORITY_ENV "GNUTLS_SYSTEM_PRIORITY_FILE"
/* What our file says. */
#define TLS_PRIORITY_CONFIG \
  "[overrides]\ntls-disabled-cipher = CHACHA20-POLY1305\n"

/* The system's own gnutls configuration, when it has one: $TLS_PRIORITY_ENV
 * from `base` (the environment) if set and not a file of ours (uchd's,
 * given to the worker: it says TLS_PRIORITY_CONFIG), else the first of
 * `paths` (NULL-terminated) that exists; NULL when none. */
const char *tls_priority_system(char *const *base, const char *const *paths);
/* The default paths: Debian's gnutls, and crypto-policies' back end. */
extern const char *const tls_priority_system_paths[];
/* The environment of a TLS child: `base` with TLS_PRIORITY_ENV=conf. */
int tls_priority_env(struct argv *env, char *const *base, const char *conf);
/* Writes TLS_PRIORITY_CONFIG to path (0644); -1 with errno. */
int tls_priority_write(const char *path);
/* Whether this process's gnutls (as its TLS_PRIORITY_ENV made it when
 * it loaded) lets libnbd's priority string negotiate CHACHA20-POLY1305:
 * 1 yes, 0 no, -1 unknown.  libnbd does not say which cipher it
 * negotiated; this is what the job log can say instead. */
int tls_priority_allows_chacha20(void);

#endif
