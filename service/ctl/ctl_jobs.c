/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one-call commands: submit, list, show, cancel, delete, health. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_commands.h"
#include "ctl/ctl_render.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

int ctl_read_stream(FILE *f, char **data, size_t *len)
{
  char *buf = NULL;
  size_t cap = 0, n = 0, got;

  for (;;) {
    if (n + 4096 > cap) {
      char *b = realloc(buf, cap = cap ? cap * 2 : 8192);
      if (!b) {
        free(buf);
        return -1;
      }
      buf = b;
    }
    got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    free(buf);
    return -1;
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return 0;
}

int cmd_submit(struct ctl_ctx *x)
{
  const char *file = x->o->nargs > 0 ? x->o->args[0] : "-";
  _cleanup_fclose_ FILE *f = NULL;
  _cleanup_free_ char *body = NULL;
  _cleanup_json_ json_object *job = NULL;
  struct ctl_response r;
  size_t len;
  int rc;

  if (strcmp(file, "-") != 0 && !(f = fopen(file, "re"))) {
    fprintf(stderr, "uchctl: %s: %s\n", file, strerror(errno));
    return CTL_EXIT_FAILED;
  }
  if (ctl_read_stream(f ? f : stdin, &body, &len) < 0) {
    fprintf(stderr, "uchctl: reading %s: %s\n",
            f ? file : "standard input", strerror(errno));
    return CTL_EXIT_FAILED;
  }
  if ((rc = ctl_call(x, "POST", "/v1/jobs", body, len, &r)) != 0)
    return rc;
  if (x->o->json)
    ctl_print_body(&r);
  else if ((job = ctl_parse_body(&r)))
    printf("%s\n", json_get_string(job, "id"));
  else
    rc = CTL_EXIT_FAILED;
  ctl_response_free(&r);
  return rc;
}

int cmd_list(struct ctl_ctx *x)
{
  _cleanup_free_ char *path = NULL, *table = NULL;
  _cleanup_json_ json_object *o = NULL;
  struct ctl_response r;
  int rc;

  if (x->o->state) {
    char *esc = curl_easy_escape(x->client.curl, x->o->state, 0);
    if (!esc || asprintf(&path, "/v1/jobs?state=%s", esc) < 0)
      path = NULL;
    curl_free(esc);
  }
  else
    path = strdup("/v1/jobs");
  if (!path)
    return CTL_EXIT_FAILED;
  if ((rc = ctl_call(x, "GET", path, NULL, 0, &r)) != 0)
    return rc;
  if (x->o->json)
    ctl_print_body(&r);
  else if ((o = ctl_parse_body(&r)) &&
           (table = render_jobs_table(json_get(o, "jobs"))))
    fputs(table, stdout);
  else
    rc = CTL_EXIT_FAILED;
  ctl_response_free(&r);
  return rc;
}

int cmd_show(struct ctl_ctx *x)
{
  _cleanup_free_ char *path = ctl_job_path(x, x->o->args[0], "");
  _cleanup_free_ char *text = NULL;
  _cleanup_json_ json_object *job = NULL;
  struct ctl_response r;
  int rc;

  if (!path)
    return CTL_EXIT_FAILED;
  if ((rc = ctl_call(x, "GET", path, NULL, 0, &r)) != 0)
    return rc;
  if (x->o->json)
    ctl_print_body(&r);
  else if ((job = ctl_parse_body(&r)) && (text = render_job_summary(job)))
    fputs(text, stdout);
  else
    rc = CTL_EXIT_FAILED;
  ctl_response_free(&r);
  return rc;
}

/* cancel and delete: one call, a sentence when it worked. */
int ctl_job_action(struct ctl_ctx *x, const char *method, const char *suffix,
                   const char *body, size_t len, const char *done)
{
  const char *id = x->o->args[0];
  _cleanup_free_ char *path = ctl_job_path(x, id, suffix);
  struct ctl_response r;
  int rc;

  if (!path)
    return CTL_EXIT_FAILED;
  if ((rc = ctl_call(x, method, path, body, len, &r)) != 0)
    return rc;
  if (x->o->json)
    ctl_print_body(&r);
  else
    printf("%s: %s\n", id, done);
  ctl_response_free(&r);
  return 0;
}

int cmd_cancel(struct ctl_ctx *x)
{
  return ctl_job_action(x, "POST", "/cancel", NULL, 0, "cancel requested");
}

int cmd_delete(struct ctl_ctx *x)
{
  return ctl_job_action(x, "DELETE", "", NULL, 0, "deleted");
}

int cmd_health(struct ctl_ctx *x)
{
  _cleanup_json_ json_object *o = NULL;
  struct ctl_response r;
  int rc;

  if ((rc = ctl_call(x, "GET", "/v1/health", NULL, 0, &r)) != 0)
    return rc;
  if (x->o->json)
    ctl_print_body(&r);
  else if ((o = ctl_parse_body(&r)))
    render_tree(stdout, o, 0);
  else
    rc = CTL_EXIT_FAILED;
  ctl_response_free(&r);
  return rc;
}
