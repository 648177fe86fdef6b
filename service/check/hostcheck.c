/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check/hostcheck.h"
#include "check/preflight.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

void hostcheck_thumbprint_format(const unsigned char sha1[20], char out[60])
{
  for (int i = 0; i < 20; i++)
    snprintf(out + 3 * i, 60 - 3 * i, "%02X%s", sha1[i], i < 19 ? ":" : "");
}

static void addrinfo_freep(struct addrinfo **ai)
{
  if (*ai)
    freeaddrinfo(*ai);
}

/* A connected, blocking socket (with send/receive timeouts), or -1 with
 * errno set; bounded by timeout_ms for each address tried. */
static int connect_to(struct addrinfo *list, int timeout_ms)
{
  int saved = ETIMEDOUT;

  for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    socklen_t len = sizeof saved;
    int err = 0;

    if (fd < 0) {
      saved = errno;
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
      err = errno;
    else if (poll(&p, 1, timeout_ms) <= 0)
      err = ETIMEDOUT;
    else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
      err = errno;
    if (err == 0 && fcntl(fd, F_SETFL, 0) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0)
      return fd;
    saved = err ? err : errno;
    close(fd);
  }
  errno = saved;
  return -1;
}

static struct addrinfo *resolve(const char *host, int port, int *gai)
{
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
  struct addrinfo *ai = NULL;
  char p[16];

  snprintf(p, sizeof p, "%d", port);
  *gai = getaddrinfo(host, p, &hints, &ai);
  return *gai == 0 ? ai : NULL;
}

static void tcp_check(const char *name, const char *host, int port,
                      const char *what, const struct hostcheck_opts *o,
                      json_object *checks)
{
  _cleanup_(addrinfo_freep) struct addrinfo *ai = NULL;
  int gai, fd;

  if (!(ai = resolve(host, port, &gai)))
    return;
  fd = connect_to(ai, o->timeout_ms);
  if (fd >= 0) {
    preflight_add(checks, name, "ok", "%s port %d (%s) answers", host, port,
                  what);
    close(fd);
  } else
    preflight_add(checks, name, "fail", "%s port %d (%s): %s (within %d ms)",
                  host, port, what, strerror(errno), o->timeout_ms);
}

/* The handshake only: no verification (we are asking which certificate
 * it has, to print its thumbprint for a person to compare). */
static int tls_thumbprint(const char *host, int fd, int timeout_ms,
                          char out[60], const char **why)
{
  gnutls_session_t s = NULL;
  gnutls_certificate_credentials_t cred = NULL;
  const gnutls_datum_t *certs;
  unsigned int n = 0;
  unsigned char sha1[20], addr[16];
  size_t size = sizeof sha1;
  int r, ret = -1;

  *why = "out of memory";
  if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
      gnutls_init(&s, GNUTLS_CLIENT) < 0)
    goto out;
  if (gnutls_set_default_priority(s) < 0 ||
      gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
    goto out;
  /* SNI for a name, not for an address literal */
  if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)
    gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host));
  gnutls_transport_set_int(s, fd);
  gnutls_handshake_set_timeout(s, timeout_ms);
  do
    r = gnutls_handshake(s);
  while (r < 0 && !gnutls_error_is_fatal(r));
  if (r < 0) {
    *why = gnutls_strerror(r);
    goto out;
  }
  certs = gnutls_certificate_get_peers(s, &n);
  if (!certs || n == 0) {
    *why = "the server sent no certificate";
    goto out;
  }
  if (gnutls_fingerprint(GNUTLS_DIG_SHA1, &certs[0], sha1, &size) < 0 ||
      size != sizeof sha1) {
    *why = "cannot hash its certificate";
    goto out;
  }
  hostcheck_thumbprint_format(sha1, out);
  ret = 0;
out:
  if (s) {
    if (ret == 0)
      gnutls_bye(s, GNUTLS_SHUT_WR);
    gnutls_deinit(s);
  }
  if (cred)
    gnutls_certificate_free_credentials(cred);
  return ret;
}

static void tls_check(const char *name, const char *host,
                      const struct hostcheck_opts *o, json_object *checks)
{
  _cleanup_(addrinfo_freep) struct addrinfo *ai = NULL;
  const char *why = NULL;
  char thumb[60];
  int gai, fd;

  if (!(ai = resolve(host, o->https_port, &gai)) ||
      (fd = connect_to(ai, o->timeout_ms)) < 0)
    return;       /* the TCP check has said why */
  if (tls_thumbprint(host, fd, o->timeout_ms, thumb, &why) < 0)
    preflight_add(checks, name, "fail", "%s port %d: TLS handshake failed: %s",
                  host, o->https_port, why);
  else {
    preflight_add(checks, name, "ok", "%s TLS thumbprint (SHA1) %s", host,
                  thumb);
    json_object_object_add(json_object_array_get_idx(
                             checks, json_object_array_length(checks) - 1),
                           "thumbprint", json_object_new_string(thumb));
  }
  close(fd);
}

void hostcheck_run(const char *kind, const char *host,
                   const struct hostcheck_opts *o, json_object *checks)
{
  _cleanup_(addrinfo_freep) struct addrinfo *ai = NULL;
  char name[300], addr[64] = "";
  int gai;

  snprintf(name, sizeof name, "%s %s dns", kind, host);
  if (!(ai = resolve(host, o->https_port, &gai))) {
    preflight_add(checks, name, "fail", "%s %s: the name does not resolve: %s",
                  kind, host, gai_strerror(gai));
    return;
  }
  getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0,
              NI_NUMERICHOST);
  preflight_add(checks, name, "ok", "%s resolves to %s", host, addr);
  snprintf(name, sizeof name, "%s %s tcp/%d", kind, host, o->https_port);
  tcp_check(name, host, o->https_port, "HTTPS", o, checks);
  snprintf(name, sizeof name, "%s %s tcp/%d", kind, host, o->nfc_port);
  tcp_check(name, host, o->nfc_port, "NFC, VDDK's data", o, checks);
  snprintf(name, sizeof name, "%s %s tls", kind, host);
  tls_check(name, host, o, checks);
}
