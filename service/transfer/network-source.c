/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A network NBD URI (nbd://, nbds://) as parameters of nbdkit's nbd
 * plugin, so the source can be read through nbdkit's retry and rate
 * filters.  libnbd inside nbdkit refuses a URI naming a local file
 * (tls-psk-file), so the URI is taken apart here instead. */
#include <stdio.h>
#include <string.h>

#include "transfer/tool-argv.h"
#include "util/cleanup.h"
#include "util/nbd-uri.h"

static void add(json_object *o, const char *key, const char *value)
{
  json_object_object_add(o, key, json_object_new_string(value));
}

int uch_nbd_network_source(const char *uri, json_object **source)
{
  _cleanup_json_ json_object *p = NULL;
  struct uch_nbd_uri u;
  char why[128], port[8];
  int ret = -1;

  *source = NULL;
  if (uch_nbd_uri_parse(uri, &u, why, sizeof why) < 0)
    goto out;
  if (u.unix_socket) {
    ret = 1;                                /* not across a network */
    goto out;
  }
  p = json_object_new_object();
  add(p, "plugin", "nbd");
  add(p, "hostname", u.host);
  if (u.port) {
    snprintf(port, sizeof port, "%d", u.port);
    add(p, "port", port);
  }
  if (u.export_name[0])
    add(p, "export", u.export_name);
  if (u.tls)
    add(p, "tls", "require");
  if (u.user && u.tls)
    add(p, "tls_username", u.user);
  for (size_t i = 0; i < u.n_params; i++) {
    if (strcmp(u.params[i].key, "tls-psk-file") == 0)
      add(p, "tls_psk", u.params[i].value);
    else if (strcmp(u.params[i].key, "tls-username") == 0)
      add(p, "tls_username", u.params[i].value);
    else
      goto out;                   /* a parameter we would silently drop */
  }
  *source = json_object_new_object();
  json_object_object_add(*source, "nbdkit", p);
  p = NULL;
  ret = 0;
out:
  uch_nbd_uri_free(&u);
  return ret;
}
