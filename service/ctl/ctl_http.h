/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl's HTTP client: libcurl over uchd's Unix socket, or over TCP with
 * the bearer token.  One handle for the whole run, so polls reuse the
 * connection. */
#ifndef UCH_CTL_HTTP_H
#define UCH_CTL_HTTP_H

#include <stddef.h>
#include <curl/curl.h>

#include "ctl/ctl_args.h"

#define CTL_DEFAULT_SOCKET "/run/uch/uchd.sock"
#define CTL_DEFAULT_TOKEN_FILE "/var/lib/uch/api-token"

struct ctl_client {
  CURL *curl;
  char *where;               /* socket path or URL, for messages */
  char *base;                /* URL prefix the API path is appended to */
  char *socket_path;         /* NULL over TCP */
  struct curl_slist *headers;
  char error[CURL_ERROR_SIZE + 256];   /* why the last request failed */
};

struct ctl_response {
  long status;
  char *body;                /* NUL-terminated, owned */
  size_t len;
  long long log_size;        /* X-Log-Size, -1 when absent */
};

/* The socket: --socket, else $UCH_SOCKET, else the default. */
const char *ctl_socket_path(const struct ctl_options *o);
/* The token file for --url: --token-file, else $UCH_TOKEN_FILE, else the
 * default when readable (NULL when none).  `*required` says whether its
 * absence is an error (it was named). */
const char *ctl_token_file(const struct ctl_options *o, int *required);

/* 0, or -1 with the reason in c->error. */
int ctl_client_init(struct ctl_client *c, const struct ctl_options *o);
void ctl_client_free(struct ctl_client *c);

/* 0 when an HTTP answer came back (any status); -1 when uchd could not
 * be reached, c->error says why.  `body` may be NULL. */
int ctl_request(struct ctl_client *c, const char *method, const char *path,
                const char *body, size_t body_len, struct ctl_response *r);
void ctl_response_free(struct ctl_response *r);

#endif
