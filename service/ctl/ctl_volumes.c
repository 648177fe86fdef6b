/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl volumes: GET /v1/volumes as a table.  uchctl bandwidth: PATCH
 * /v1/jobs/ID {"limits": {"bandwidth": BW}}, which uchd applies to the
 * running worker (docs/api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_commands.h"
#include "ctl/ctl_render.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

int cmd_volumes(struct ctl_ctx *x)
{
  _cleanup_free_ char *table = NULL;
  _cleanup_json_ json_object *o = NULL;
  struct ctl_response r;
  int rc;

  if ((rc = ctl_call(x, "GET", "/v1/volumes", NULL, 0, &r)) != 0)
    return rc;
  if (x->o->json)
    ctl_print_body(&r);
  else if ((o = ctl_parse_body(&r)) &&
           (table = render_volumes_table(json_get(o, "volumes"))))
    fputs(table, stdout);
  else
    rc = CTL_EXIT_FAILED;
  ctl_response_free(&r);
  return rc;
}

int cmd_bandwidth(struct ctl_ctx *x)
{
  _cleanup_json_ json_object *body = json_object_new_object();
  json_object *limits = json_object_new_object();
  _cleanup_free_ char *done = NULL;
  const char *text;

  /* built as JSON, so no BW can change the body's shape; uchd checks it
   * and names the field when it is not a rate */
  json_object_object_add(limits, "bandwidth",
                         json_object_new_string(x->o->args[1]));
  json_object_object_add(body, "limits", limits);
  text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
  if (asprintf(&done, "bandwidth limit now %s bits/s", x->o->args[1]) < 0)
    return CTL_EXIT_FAILED;
  return ctl_job_action(x, "PATCH", "", text, strlen(text), done);
}
