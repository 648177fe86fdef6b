/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "transfer/nbd-connect.h"

void uch_nbd_error(char *buf, size_t len)
{
  const char *e = nbd_get_error();
  const char *colon = e ? strstr(e, ": ") : NULL;

  if (!e)
    e = errno ? strerror(errno) : "unknown libnbd error";
  else if (strncmp(e, "nbd_", 4) == 0 && colon)
    e = colon + 2;
  snprintf(buf, len, "%s", e);
}

struct nbd_handle *uch_nbd_connect(const char *uri, const char *bitmap,
                                   char *errbuf, size_t len)
{
  struct nbd_handle *nbd = nbd_create();
  char ctx[128];

  if (!nbd) {
    uch_nbd_error(errbuf, len);
    return NULL;
  }
  if (bitmap)
    snprintf(ctx, sizeof ctx, "qemu:dirty-bitmap:%s", bitmap);
  if (nbd_add_meta_context(nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) < 0 ||
      (bitmap && nbd_add_meta_context(nbd, ctx) < 0) ||
      nbd_set_uri_allow_local_file(nbd, true) < 0 ||
      nbd_connect_uri(nbd, uri) < 0) {
    uch_nbd_error(errbuf, len);
    nbd_close(nbd);
    return NULL;
  }
  return nbd;
}

void uch_nbd_disconnect(struct nbd_handle *nbd, bool polite)
{
  if (!nbd)
    return;
  if (polite)
    nbd_shutdown(nbd, 0);
  nbd_close(nbd);
}
