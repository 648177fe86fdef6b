/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GET /v1/volumes: the block devices attached to the appliance, which of
 * them the system uses, and which an active job reads or writes. */
#include <errno.h>
#include <string.h>

#include "api/http.h"
#include "uchd/conflict.h"
#include "util/jsonutil.h"
#include "volumes/volumes.h"

/* The first active job whose request names device `dev`, or NULL. */
static const char *job_using(struct uchd *d, dev_t dev)
{
  for (size_t i = 0; i < d->store.n; i++) {
    struct job *j = d->store.v[i];
    struct disk_uses uses = { 0 };
    bool hit = false;

    job_refresh(&d->store, j);
    if (job_state_is_final(job_state(j)) && j->pid <= 0)
      continue;
    const struct job_request *req = job_request_of(j);

    if (req && request_disk_uses(req, &uses) == 0)
      for (size_t k = 0; k < uses.n && !hit; k++)
        hit = uses.v[k].kind == USE_BLOCK && uses.v[k].dev == dev;
    disk_uses_free(&uses);
    if (hit)
      return j->id;
  }
  return NULL;
}

enum MHD_Result api_volumes_list(struct http_request *r)
{
  struct volume_list l;

  if (volumes_list(volume_by_id_dir(), &l) < 0)
    return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                      "cannot list block devices: %s", strerror(errno));
  json_object *o = json_object_new_object(), *list = json_object_new_array();
  for (size_t i = 0; i < l.n; i++) {
    json_object *v = volume_to_json(&l.v[i]);
    const char *id = job_using(r->d, l.v[i].devnum);
    json_object_object_add(v, "job", id ? json_object_new_string(id) : NULL);
    json_object_array_add(list, v);
  }
  volume_list_free(&l);
  json_object_object_add(o, "volumes", list);
  enum MHD_Result ret = http_json(r, MHD_HTTP_OK, o);
  json_object_put(o);
  return ret;
}
