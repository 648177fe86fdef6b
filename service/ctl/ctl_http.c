/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl/ctl_http.h"
#include "util/cleanup.h"
#include "util/fs.h"

const char *ctl_socket_path(const struct ctl_options *o)
{
  const char *env = getenv("UCH_SOCKET");

  if (o->socket_path)
    return o->socket_path;
  return env && *env ? env : CTL_DEFAULT_SOCKET;
}

const char *ctl_token_file(const struct ctl_options *o, int *required)
{
  const char *env = getenv("UCH_TOKEN_FILE");

  *required = 1;
  if (o->token_file)
    return o->token_file;
  if (env && *env)
    return env;
  *required = 0;
  return access(CTL_DEFAULT_TOKEN_FILE, R_OK) == 0 ? CTL_DEFAULT_TOKEN_FILE
                                                   : NULL;
}

/* The token's copies are wiped before they are freed; the header is only
 * ever handed to libcurl. */
static int add_auth_header(struct ctl_client *c, const struct ctl_options *o)
{
  int required, ret = -1;
  const char *path = ctl_token_file(o, &required);
  char *token = NULL, *header = NULL;
  size_t file_len, len;
  struct curl_slist *l;

  if (!path)
    return 0;
  if (read_file(path, &token, &file_len) < 0) {
    if (!required)
      return 0;
    snprintf(c->error, sizeof c->error, "cannot read token file %s: %s",
             path, strerror(errno));
    return -1;
  }
  /* The token is the file's first line (as uchd reads it). */
  len = strcspn(token, "\r\n");
  while (len > 0 && strchr(" \t", token[len - 1]))
    len--;
  if (asprintf(&header, "Authorization: Bearer %.*s", (int)len, token) < 0)
    header = NULL;
  else if ((l = curl_slist_append(c->headers, header))) {
    c->headers = l;
    ret = 0;
  }
  if (ret < 0)
    snprintf(c->error, sizeof c->error, "out of memory");
  explicit_bzero(token, file_len);
  free(token);
  if (header) {
    explicit_bzero(header, strlen(header));
    free(header);
  }
  return ret;
}

int ctl_client_init(struct ctl_client *c, const struct ctl_options *o)
{
  struct curl_slist *l;

  memset(c, 0, sizeof *c);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
      !(c->curl = curl_easy_init())) {
    snprintf(c->error, sizeof c->error, "cannot initialise libcurl");
    return -1;
  }
  if (o->url) {
    size_t n = strlen(o->url);
    while (n > 0 && o->url[n - 1] == '/')
      n--;
    c->where = strdup(o->url);
    c->base = strndup(o->url, n);
    if (add_auth_header(c, o) < 0)
      return -1;
  }
  else {
    c->where = strdup(ctl_socket_path(o));
    c->socket_path = strdup(c->where ? c->where : "");
    /* The host name is not used on a Unix socket. */
    c->base = strdup("http://uchd");
  }
  /* Without this, curl waits a second for "100 Continue" on big bodies. */
  l = curl_slist_append(c->headers, "Expect:");
  if (!l || !c->where || !c->base || (!o->url && !c->socket_path)) {
    curl_slist_free_all(l ? l : c->headers);
    c->headers = NULL;
    snprintf(c->error, sizeof c->error, "out of memory");
    return -1;
  }
  c->headers = l;
  return 0;
}

void ctl_client_free(struct ctl_client *c)
{
  if (c->curl)
    curl_easy_cleanup(c->curl);
  curl_slist_free_all(c->headers);
  free(c->where);
  free(c->base);
  free(c->socket_path);
  memset(c, 0, sizeof *c);
  curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
  struct ctl_response *r = opaque;
  size_t len = size * n;
  char *b = realloc(r->body, r->len + len + 1);

  if (!b)
    return 0;
  memcpy(b + r->len, data, len);
  r->len += len;
  b[r->len] = '\0';
  r->body = b;
  return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *opaque)
{
  struct ctl_response *r = opaque;
  size_t len = size * n;
  static const char name[] = "X-Log-Size:";

  if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
    r->log_size = strtoll(data + sizeof name - 1, NULL, 10);
  return len;
}

static void describe_failure(struct ctl_client *c, CURLcode rc,
                             const char *curl_error)
{
  long os_errno = 0;

  curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
  if (os_errno != 0)
    snprintf(c->error, sizeof c->error, "%s", strerror((int)os_errno));
  else if (curl_error[0])
    snprintf(c->error, sizeof c->error, "%s", curl_error);
  else
    snprintf(c->error, sizeof c->error, "%s", curl_easy_strerror(rc));
}

int ctl_request(struct ctl_client *c, const char *method, const char *path,
                const char *body, size_t body_len, struct ctl_response *r)
{
  _cleanup_free_ char *url = NULL;
  char curl_error[CURL_ERROR_SIZE] = "";
  struct curl_slist *headers = c->headers, *with_type = NULL;
  CURL *h = c->curl;
  CURLcode rc;

  memset(r, 0, sizeof *r);
  r->log_size = -1;
  if (asprintf(&url, "%s%s", c->base, path) < 0) {
    snprintf(c->error, sizeof c->error, "out of memory");
    return -1;
  }
  if (body) {
    /* A private copy of the shared list with the type appended. */
    for (struct curl_slist *s = c->headers; s; s = s->next)
      with_type = curl_slist_append(with_type, s->data);
    with_type = curl_slist_append(with_type, "Content-Type: application/json");
    headers = with_type;
  }
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (c->socket_path)
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  }
  else if (strcmp(method, "GET") == 0)
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  rc = curl_easy_perform(h);
  curl_slist_free_all(with_type);
  if (rc != CURLE_OK) {
    describe_failure(c, rc, curl_error);
    ctl_response_free(r);
    return -1;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  if (!r->body) {
    r->body = strdup("");
    if (!r->body) {
      snprintf(c->error, sizeof c->error, "out of memory");
      return -1;
    }
  }
  return 0;
}

void ctl_response_free(struct ctl_response *r)
{
  free(r->body);
  r->body = NULL;
  r->len = 0;
}
