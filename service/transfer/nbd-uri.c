/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A network NBD URI (nbd://, nbds://) as parameters of nbdkit's nbd
 * plugin, so the source can be read through nbdkit's retry and rate
 * filters.  libnbd inside nbdkit refuses a URI naming a local file
 * (tls-psk-file), so the URI is taken apart here instead. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "transfer/tool-argv.h"
#include "util/cleanup.h"

static void add(json_object *o, const char *key, const char *start,
                size_t len)
{
  json_object_object_add(o, key, json_object_new_string_len(start,
                                                            (int)len));
}

/* %XX escapes of the export name and query values */
static char *unescape(const char *s, size_t len)
{
  char *out = malloc(len + 1), *p = out;

  if (!out)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
        isxdigit((unsigned char)s[i + 2])) {
      char hex[3] = { s[i + 1], s[i + 2], 0 };
      *p++ = (char)strtol(hex, NULL, 16);
      i += 2;
    } else
      *p++ = s[i];
  }
  *p = '\0';
  return out;
}

static int add_query(json_object *o, const char *q)
{
  while (q && *q) {
    const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
    const char *eq = memchr(q, '=', end - q);
    if (!eq)
      return -1;
    _cleanup_free_ char *v = unescape(eq + 1, end - eq - 1);
    if (!v)
      return -1;
    if ((size_t)(eq - q) == 12 && strncmp(q, "tls-psk-file", 12) == 0)
      json_object_object_add(o, "tls_psk", json_object_new_string(v));
    else if ((size_t)(eq - q) == 12 && strncmp(q, "tls-username", 12) == 0)
      json_object_object_add(o, "tls_username", json_object_new_string(v));
    else
      return -1;                  /* a parameter we would silently drop */
    q = amp ? amp + 1 : NULL;
  }
  return 0;
}

int uch_nbd_network_source(const char *uri, json_object **source)
{
  _cleanup_json_ json_object *p = json_object_new_object();
  const char *s, *host, *host_end, *port = NULL, *slash, *query;
  bool tls;

  *source = NULL;
  if (strncmp(uri, "nbd://", 6) == 0)
    tls = false, s = uri + 6;
  else if (strncmp(uri, "nbds://", 7) == 0)
    tls = true, s = uri + 7;
  else
    return 1;                               /* not across a network */
  json_object_object_add(p, "plugin", json_object_new_string("nbd"));
  slash = s + strcspn(s, "/?");
  const char *at = memchr(s, '@', slash - s);
  host = at ? at + 1 : s;
  if (*host == '[') {
    host_end = memchr(host, ']', slash - host);
    if (!host_end)
      return -1;
    add(p, "hostname", host + 1, host_end - host - 1);
    if (host_end[1] == ':')
      port = host_end + 2;
    else if (host_end + 1 != slash)
      return -1;
  } else {
    const char *colon = memchr(host, ':', slash - host);
    host_end = colon ? colon : slash;
    add(p, "hostname", host, host_end - host);
    if (colon)
      port = colon + 1;
  }
  if (host_end == host)
    return -1;
  if (port) {
    if (port == slash || strspn(port, "0123456789") != (size_t)(slash - port))
      return -1;
    add(p, "port", port, slash - port);
  }
  query = strchr(slash, '?');
  if (*slash == '/') {
    size_t n = (query ? query : slash + strlen(slash)) - slash - 1;
    _cleanup_free_ char *name = unescape(slash + 1, n);
    if (!name)
      return -1;
    if (*name)
      json_object_object_add(p, "export", json_object_new_string(name));
  }
  if (tls)
    json_object_object_add(p, "tls", json_object_new_string("require"));
  if (at && tls)
    add(p, "tls_username", s, at - s);
  if (query && add_query(p, query + 1) < 0)
    return -1;
  *source = json_object_new_object();
  json_object_object_add(*source, "nbdkit", p);
  p = NULL;
  return 0;
}
