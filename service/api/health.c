/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "api/http.h"

enum MHD_Result api_health(struct http_request *r)
{
  struct uchd *d = r->d;
  json_object *o = json_object_new_object(), *slots = json_object_new_object();

  json_object_object_add(o, "status", json_object_new_string("ok"));
  json_object_object_add(o, "version", json_object_new_string(UCH_VERSION));
  json_object_object_add(o, "capabilities", json_object_get(d->capabilities));
  json_object_object_add(slots, "max", json_object_new_int(d->cfg.max_jobs));
  json_object_object_add(slots, "running",
                         json_object_new_int((int)scheduler_running(d)));
  json_object_object_add(slots, "queued",
                         json_object_new_int((int)scheduler_queued(d)));
  json_object_object_add(o, "slots", slots);
  enum MHD_Result ret = http_json(r, MHD_HTTP_OK, o);
  json_object_put(o);
  return ret;
}
