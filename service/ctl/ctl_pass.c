/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync and cutover: another pass of a sync job, with an optional body
 * (the changed extents) from a file or standard input; sync --rehearse
 * adds "rehearse": true to it.  digest: the body of /digest, the
 * source's digest for a verified pass. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_commands.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

static int pass(struct ctl_ctx *x, const char *suffix, const char *done)
{
  const char *file = x->o->nargs > 1 ? x->o->args[1] : NULL;
  _cleanup_fclose_ FILE *f = NULL;
  _cleanup_free_ char *body = NULL;
  size_t len = 0;

  if (file && strcmp(file, "-") != 0 && !(f = fopen(file, "re"))) {
    fprintf(stderr, "uchctl: %s: %s\n", file, strerror(errno));
    return CTL_EXIT_FAILED;
  }
  if (file && ctl_read_stream(f ? f : stdin, &body, &len) < 0) {
    fprintf(stderr, "uchctl: reading %s: %s\n",
            f ? file : "standard input", strerror(errno));
    return CTL_EXIT_FAILED;
  }
  if (x->o->rehearse) {
    _cleanup_json_ json_object *o = body ? json_tokener_parse(body)
                                         : json_object_new_object();
    const char *text;
    if (!o || !json_object_is_type(o, json_type_object)) {
      fprintf(stderr, "uchctl: %s: not a JSON object (--rehearse adds "
              "\"rehearse\" to it)\n", file ? file : "the body");
      return CTL_EXIT_FAILED;
    }
    json_object_object_add(o, "rehearse", json_object_new_boolean(true));
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    free(body);
    if (!(body = strdup(text))) {
      fprintf(stderr, "uchctl: out of memory\n");
      return CTL_EXIT_FAILED;
    }
    len = strlen(body);
  }
  return ctl_job_action(x, "POST", suffix, body, len, done);
}

int cmd_sync(struct ctl_ctx *x)
{
  return pass(x, "/sync", "pass requested");
}

int cmd_cutover(struct ctl_ctx *x)
{
  return pass(x, "/cutover", "cutover requested");
}

/* the source's digest for a verified pass: FILE is the body as it is */
int cmd_digest(struct ctl_ctx *x)
{
  return pass(x, "/digest", "digest posted");
}
