/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_commands.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* The error's message from {"error":{"code","message","field"}}, else the
 * body's first line, else the status. */
static void print_server_error(const struct ctl_response *r)
{
  _cleanup_json_ json_object *o = json_tokener_parse(r->body);
  const char *msg = json_get_string(json_get(o, "error"), "message");

  if (msg && *msg)
    fprintf(stderr, "uchctl: %s\n", msg);
  else if (r->len > 0 && !o)
    fprintf(stderr, "uchctl: HTTP %ld: %.*s\n", r->status,
            (int)strcspn(r->body, "\n"), r->body);
  else
    fprintf(stderr, "uchctl: HTTP %ld\n", r->status);
}

int ctl_call(struct ctl_ctx *x, const char *method, const char *path,
             const char *body, size_t body_len, struct ctl_response *r)
{
  if (ctl_request(&x->client, method, path, body, body_len, r) < 0) {
    fprintf(stderr, "uchctl: cannot reach uchd at %s: %s\n",
            x->client.where, x->client.error);
    if (x->o->url)
      fprintf(stderr, "Is uchd running and listening there?  Try "
                      "'systemctl status uchd', or another --url.\n");
    else
      fprintf(stderr, "Is uchd running?  Try 'systemctl status uchd'; for "
                      "another uchd, --socket PATH or UCH_SOCKET.\n");
    return CTL_EXIT_UNREACHABLE;
  }
  if (r->status >= 200 && r->status < 300)
    return 0;
  if (x->o->json && r->len > 0 && r->body[0] == '{')
    ctl_print_body(r);
  print_server_error(r);
  ctl_response_free(r);
  return CTL_EXIT_FAILED;
}

char *ctl_job_path(struct ctl_ctx *x, const char *id, const char *suffix)
{
  char *esc = curl_easy_escape(x->client.curl, id, 0);
  char *path = NULL;

  if (esc && asprintf(&path, "/v1/jobs/%s%s", esc, suffix) < 0)
    path = NULL;
  curl_free(esc);
  return path;
}

json_object *ctl_parse_body(const struct ctl_response *r)
{
  json_object *o = json_tokener_parse(r->body);

  if (!o)
    fprintf(stderr, "uchctl: uchd answered something that is not JSON\n");
  return o;
}

void ctl_print_body(const struct ctl_response *r)
{
  fwrite(r->body, 1, r->len, stdout);
  if (r->len == 0 || r->body[r->len - 1] != '\n')
    putchar('\n');
}
