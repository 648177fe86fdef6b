/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A network NBD URI (nbd://, nbds://) as parameters of nbdkit's nbd
 * plugin, so the source can be read through UCH's reconnect filter and
 * nbdkit's rate filter (an inspect job's nbdkit; a copy reads it with
 * libnbd itself, and checks here only that nothing follows '?' but
 * what docs/api.md allows).  libnbd inside nbdkit refuses a URI naming
 * a local file (tls-psk-file), so the URI is taken apart here instead. */
#include <stdio.h>
#include <string.h>

#include "transfer/tool-argv.h"
#include "util/nbd-uri.h"

/* key=value, replacing an earlier value of the same key in its place */
static int add(struct rq_nbdkit *k, const char *key,
               enum nbdkit_param_type type, const char *s, int64_t n)
{
  struct rq_nbdkit_param p = { .key = key, .type = type, .s = s, .n = n };

  for (size_t i = 0; i < k->n_params; i++)
    if (strcmp(k->params[i].key, key) == 0) {
      k->params[i] = p;
      return 0;
    }
  if (k->n_params >= NBDKIT_MAX_PARAMS)
    return -1;
  k->params[k->n_params++] = p;
  return 0;
}

void nbd_network_source_free(struct nbd_network_source *s)
{
  uch_nbd_uri_free(&s->uri);
  memset(s, 0, sizeof *s);
}

int uch_nbd_network_source(const char *uri, struct nbd_network_source *out)
{
  struct rq_nbdkit *k = &out->nbdkit;
  struct uch_nbd_uri *u = &out->uri;
  char why[128];

  memset(out, 0, sizeof *out);
  if (uch_nbd_uri_parse(uri, u, why, sizeof why) < 0)
    goto fail;
  if (u->unix_socket) {
    nbd_network_source_free(out);
    return 1;                               /* not across a network */
  }
  k->plugin = PLUGIN_NBD;
  k->plugin_name = "nbd";
  if (add(k, "hostname", PARAM_STRING, u->host, 0) < 0 ||
      (u->port && add(k, "port", PARAM_INT, NULL, u->port) < 0) ||
      (u->export_name[0] &&
       add(k, "export", PARAM_STRING, u->export_name, 0) < 0) ||
      (u->tls && add(k, "tls", PARAM_STRING, "require", 0) < 0) ||
      (u->user && u->tls &&
       add(k, "tls_username", PARAM_STRING, u->user, 0) < 0))
    goto fail;
  for (size_t i = 0; i < u->n_params; i++) {
    const char *key;
    if (strcmp(u->params[i].key, "tls-psk-file") == 0)
      key = "tls_psk";
    else if (strcmp(u->params[i].key, "tls-username") == 0)
      key = "tls_username";
    else
      goto fail;                  /* a parameter we would silently drop */
    if (add(k, key, PARAM_STRING, u->params[i].value, 0) < 0)
      goto fail;
  }
  return 0;
fail:
  nbd_network_source_free(out);
  return -1;
}
