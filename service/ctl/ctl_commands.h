/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl's commands.  Each returns the program's exit status. */
#ifndef UCH_CTL_COMMANDS_H
#define UCH_CTL_COMMANDS_H

#include <stdio.h>
#include <json-c/json.h>

#include "ctl/ctl_args.h"
#include "ctl/ctl_http.h"

enum {
  CTL_EXIT_OK = 0,
  CTL_EXIT_FAILED = 1,        /* refused by uchd, or the job failed */
  CTL_EXIT_USAGE = 2,
  CTL_EXIT_TIMEOUT = 2,       /* wait --timeout */
  CTL_EXIT_UNREACHABLE = 3,
};

struct ctl_ctx {
  const struct ctl_options *o;
  struct ctl_client client;
};

/* One API call: 0 on a 2xx answer (r holds it); otherwise prints why on
 * stderr (the server's message, or "cannot reach uchd ...") and returns
 * the exit status.  With --json an error body also goes to stdout. */
int ctl_call(struct ctl_ctx *x, const char *method, const char *path,
             const char *body, size_t body_len, struct ctl_response *r);
/* "/v1/jobs/ID" + suffix, ID escaped. */
char *ctl_job_path(struct ctl_ctx *x, const char *id, const char *suffix);
/* The body as JSON; prints an error and returns NULL when it is not. */
json_object *ctl_parse_body(const struct ctl_response *r);
/* The body as it came, with a final newline. */
void ctl_print_body(const struct ctl_response *r);

int cmd_submit(struct ctl_ctx *x);
int cmd_list(struct ctl_ctx *x);
int cmd_show(struct ctl_ctx *x);
int cmd_wait(struct ctl_ctx *x);
/* METHOD on the job args[0] (path + suffix) with an optional body;
 * prints the answer with --json, else "ID: DONE". */
int ctl_job_action(struct ctl_ctx *x, const char *method, const char *suffix,
                   const char *body, size_t len, const char *done);
int cmd_cancel(struct ctl_ctx *x);
int cmd_delete(struct ctl_ctx *x);
int cmd_logs(struct ctl_ctx *x);
int cmd_health(struct ctl_ctx *x);
int cmd_check(struct ctl_ctx *x);
int cmd_sync(struct ctl_ctx *x);
int cmd_cutover(struct ctl_ctx *x);
int cmd_digest(struct ctl_ctx *x);
int cmd_volumes(struct ctl_ctx *x);
int cmd_bandwidth(struct ctl_ctx *x);
int cmd_support_bundle(struct ctl_ctx *x);

/* All of f into a NUL-terminated buffer. */
int ctl_read_stream(FILE *f, char **data, size_t *len);

#endif
