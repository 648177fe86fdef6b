/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/uri.h>

#include "util/cleanup.h"
#include "util/nbd-uri.h"

static int fail(char *why, size_t len, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t len, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  return -1;
}

static void free_xml_uri(xmlURIPtr *p)
{
  if (*p)
    xmlFreeURI(*p);
}


/* The explicit port of the authority, as written: NULL when none.  The
 * parser's number cannot tell ":0" from no port. */
static const char *port_text(const char *s, size_t *n)
{
  const char *a = strstr(s, "://"), *end, *at, *colon;

  if (!a)
    return NULL;
  a += 3;
  end = a + strcspn(a, "/?#");
  at = memchr(a, '@', end - a);
  if (at)
    a = at + 1;
  if (*a == '[') {
    const char *close = memchr(a, ']', end - a);
    colon = close && close + 1 < end && close[1] == ':' ? close + 1 : NULL;
  } else
    colon = memchr(a, ':', end - a);
  if (!colon)
    return NULL;
  *n = end - colon - 1;
  return colon + 1;
}

static int add_param(struct uch_nbd_uri *u, const char *kv, size_t n)
{
  const char *eq = memchr(kv, '=', n);
  struct uch_nbd_uri_param *v;
  char *value;

  if (!eq || eq == kv)
    return -1;
  v = realloc(u->params, (u->n_params + 1) * sizeof *v);
  if (!v)
    return -1;
  u->params = v;
  value = xmlURIUnescapeString(eq + 1, (int)(kv + n - eq - 1), NULL);
  v[u->n_params].key = strndup(kv, eq - kv);
  v[u->n_params].value = value ? strdup(value) : NULL;
  xmlFree(value);
  u->n_params++;
  if (!v[u->n_params - 1].key || !v[u->n_params - 1].value)
    return -1;
  return 0;
}

int uch_nbd_uri_parse(const char *s, struct uch_nbd_uri *u, char *why,
                      size_t len)
{
  __attribute__((cleanup(free_xml_uri))) xmlURIPtr x = NULL;
  const char *scheme, *port;
  size_t port_len = 0;

  memset(u, 0, sizeof *u);
  if (strcasestr(s, "%00"))
    return fail(why, len, "%%00 (a NUL byte) is not allowed");
  if (!(x = xmlParseURI(s))) {
    if (strchr(s, '[') && !strchr(s, ']'))
      return fail(why, len, "an IPv6 address needs its closing ]");
    return fail(why, len, "not a URI (RFC 3986): a character that must be "
                "escaped, or a part out of place");
  }
  scheme = x->scheme ? x->scheme : "";
  if (strcmp(scheme, "nbd") == 0)
    ;
  else if (strcmp(scheme, "nbds") == 0)
    u->tls = true;
  else if (strcmp(scheme, "nbd+unix") == 0)
    u->unix_socket = true;
  else if (strcmp(scheme, "nbds+unix") == 0)
    u->tls = u->unix_socket = true;
  else
    return fail(why, len, "the scheme must be nbd, nbds, nbd+unix or "
                "nbds+unix");
  if (x->opaque || strncmp(s + strlen(scheme), "://", 3) != 0)
    return fail(why, len, "must start with %s://", scheme);
  if (x->fragment)
    return fail(why, len, "a fragment (#...) means nothing in an NBD URI");
  /* libnbd would take all of it as the TLS user name; a password there
   * would show in the job's request and log */
  if (x->user && strchr(x->user, ':'))
    return fail(why, len, "a password (USER:PASSWORD@) must not be in it: "
                "an NBD server takes none; TLS takes tls-psk-file=");
  if (x->user && !(u->user = strdup(x->user)))
    return fail(why, len, "%s", strerror(errno));
  if (u->unix_socket) {
    if ((x->server && *x->server) || u->user)
      return fail(why, len, "a Unix socket URI names no host: %s:///"
                  "[EXPORT]?socket=/PATH", scheme);
    if (!x->path)
      return fail(why, len, "must be %s:///[EXPORT]?socket=/PATH", scheme);
  } else {
    const char *h = x->server ? x->server : "";
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
      h++, n -= 2;
    if (n == 0)
      return fail(why, len, "names no host: %s://HOST[:PORT][/EXPORT]",
                  scheme);
    if (!(u->host = strndup(h, n)))
      return fail(why, len, "%s", strerror(errno));
    if ((port = port_text(s, &port_len))) {
      char digits[8];
      unsigned long p;
      if (port_len == 0 || port_len > 5 ||
          strspn(port, "0123456789") < port_len)
        return fail(why, len, "the port must be 1-65535");
      memcpy(digits, port, port_len);
      digits[port_len] = '\0';
      p = strtoul(digits, NULL, 10);
      if (p < 1 || p > 65535)
        return fail(why, len, "the port must be 1-65535");
      u->port = (int)p;
    }
  }
  if (x->path && x->path[0] && x->path[0] != '/')
    return fail(why, len, "the export name follows a /");
  if (!(u->export_name = strdup(x->path && x->path[0] ? x->path + 1 : "")))
    return fail(why, len, "%s", strerror(errno));
  for (const char *q = x->query_raw; q && *q;) {
    size_t n = strcspn(q, "&");
    if (add_param(u, q, n) < 0)
      return fail(why, len, "the query must be KEY=VALUE&...");
    q += n + (q[n] == '&');
  }
  if (u->unix_socket) {
    const char *sock = uch_nbd_uri_param(u, "socket");
    if (!sock || sock[0] != '/')
      return fail(why, len, "needs socket=/PATH, an absolute path");
    if (!(u->socket = strdup(sock)))
      return fail(why, len, "%s", strerror(errno));
  }
  return 0;
}

void uch_nbd_uri_free(struct uch_nbd_uri *u)
{
  for (size_t i = 0; i < u->n_params; i++) {
    free(u->params[i].key);
    free(u->params[i].value);
  }
  free(u->params);
  free(u->user);
  free(u->host);
  free(u->export_name);
  free(u->socket);
  memset(u, 0, sizeof *u);
}

const char *uch_nbd_uri_param(const struct uch_nbd_uri *u, const char *key)
{
  for (size_t i = 0; i < u->n_params; i++)
    if (strcmp(u->params[i].key, key) == 0)
      return u->params[i].value;
  return NULL;
}

/* Unreserved characters and '/' as they are, the rest %XX. */
static void escape(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char c = *s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || strchr("-._~/", c))
      fputc(c, f);
    else
      fprintf(f, "%%%02X", c);
  }
}

char *uch_nbd_uri_format(const struct uch_nbd_uri *u)
{
  char *buf = NULL;
  size_t len;
  FILE *f = open_memstream(&buf, &len);
  char sep = '?';

  if (!f)
    return NULL;
  fprintf(f, "%s%s://", u->tls ? "nbds" : "nbd", u->unix_socket ? "+unix" : "");
  if (!u->unix_socket) {
    if (u->user) {
      escape(f, u->user);
      fputc('@', f);
    }
    if (strchr(u->host, ':'))
      fprintf(f, "[%s]", u->host);
    else
      escape(f, u->host);
    if (u->port)
      fprintf(f, ":%d", u->port);
  }
  fputc('/', f);
  escape(f, u->export_name ? u->export_name : "");
  if (u->unix_socket) {
    fputs("?socket=", f);
    escape(f, u->socket);
    sep = '&';
  }
  for (size_t i = 0; i < u->n_params; i++) {
    if (u->unix_socket && strcmp(u->params[i].key, "socket") == 0)
      continue;
    fprintf(f, "%c%s=", sep, u->params[i].key);
    escape(f, u->params[i].value);
    sep = '&';
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

char *uch_nbd_unix_uri(const char *name, const char *sock)
{
  struct uch_nbd_uri u = {
    .unix_socket = true, .export_name = (char *)name, .socket = (char *)sock,
  };

  return uch_nbd_uri_format(&u);
}
