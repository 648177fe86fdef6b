/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NBD URIs (https://github.com/NetworkBlockDevice/nbd/blob/master/doc/uri.md)
 * parsed once, by libxml2's RFC 3986 parser as libnbd does, and written
 * once:
 *   nbd[s]://[USER@]HOST[:PORT][/EXPORT][?KEY=VALUE&...]
 *   nbd[s]+unix:///[EXPORT]?socket=/PATH[&KEY=VALUE...] */
#ifndef UCH_NBD_URI_H
#define UCH_NBD_URI_H

#include <stdbool.h>
#include <stddef.h>

struct uch_nbd_uri_param {
  char *key;
  char *value;              /* unescaped */
};

struct uch_nbd_uri {
  bool tls;                 /* nbds, nbds+unix */
  bool unix_socket;         /* nbd+unix, nbds+unix: `socket` is set */
  char *user;               /* NULL when none */
  char *host;               /* TCP only; an IPv6 address without [] */
  int port;                 /* 0: the default (10809) */
  char *export_name;        /* unescaped; "" for the default export */
  char *socket;             /* the socket= parameter, an absolute path */
  struct uch_nbd_uri_param *params;   /* the query, socket= included */
  size_t n_params;
};

/* Parses `s` into *u (freed with uch_nbd_uri_free, also on failure).
 * -1 with the reason in why (a phrase: "the port must be 1-65535") for
 * anything that is not such a URI. */
int uch_nbd_uri_parse(const char *s, struct uch_nbd_uri *u, char *why,
                      size_t len);
void uch_nbd_uri_free(struct uch_nbd_uri *u);

/* The value of query parameter `key`, or NULL. */
const char *uch_nbd_uri_param(const struct uch_nbd_uri *u, const char *key);

/* u as a URI, every part escaped where a URI needs it; with a Unix
 * socket, socket= first and then the other parameters. */
char *uch_nbd_uri_format(const struct uch_nbd_uri *u);

/* nbd+unix:///NAME?socket=SOCK */
char *uch_nbd_unix_uri(const char *name, const char *sock);

#endif
