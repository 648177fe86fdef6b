/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "check/caps.h"
#include "util/jsonutil.h"

static bool flag(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void tool(json_object *caps, const char *name, struct caps_tool *t)
{
  json_object *o = json_get(caps, name);

  t->present = o != NULL;
  t->version = json_get_string(o, "version");
  t->path = json_get_string(o, "path");
}

static void space(json_object *sp, const char *key, struct caps_space *s)
{
  json_object *o = json_get(sp, key), *fb;

  s->present = o != NULL;
  s->dir = json_get_string(o, "dir");
  s->known = json_object_object_get_ex(o, "free_bytes", &fb) && fb;
  s->free_bytes = s->known ? (long long)json_object_get_int64(fb) : 0;
}

void caps_parse(json_object *caps, struct host_caps *out)
{
  json_object *plugins, *lib, *g, *v;

  memset(out, 0, sizeof *out);
  tool(caps, "virt-v2v", &out->virt_v2v);
  tool(caps, "nbdcopy", &out->nbdcopy);
  tool(caps, "qemu-img", &out->qemu_img);
  tool(caps, "qemu-nbd", &out->qemu_nbd);
  tool(caps, "virt-v2v-in-place", &out->virt_v2v_in_place);
  tool(caps, "nbdkit", &out->nbdkit);
  plugins = json_get(json_get(caps, "nbdkit"), "plugins");
  for (size_t i = 0; json_object_is_type(plugins, json_type_array) &&
                     i < json_object_array_length(plugins) &&
                     out->n_plugins < CAPS_MAX_PLUGINS; i++)
    out->plugins[out->n_plugins++] =
      json_object_get_string(json_object_array_get_idx(plugins, i));
  out->vddk_plugin = flag(caps, "vddk");
  lib = json_get(caps, "vddk_library");
  out->vddk_libdir = json_get_string(lib, "libdir");
  out->vddk_found = flag(lib, "found");
  out->kvm = flag(caps, "kvm");
  out->kvm_message = json_get_string(caps, "kvm_message");
  if ((g = json_get(caps, "guestfs"))) {
    if (json_object_object_get_ex(g, "installed", &v) &&
        !json_object_get_boolean(v))
      out->guestfs = CAPS_GUESTFS_NOT_INSTALLED;
    else
      out->guestfs = flag(g, "ok") ? CAPS_GUESTFS_OK : CAPS_GUESTFS_FAILED;
    out->guestfs_checked_at = json_object_get_int64(json_get(g, "checked_at"));
    out->guestfs_message = json_get_string(g, "message");
  }
  space(json_get(caps, "space"), "state", &out->space_state);
  space(json_get(caps, "space"), "runtime", &out->space_runtime);
  space(json_get(caps, "space"), "tmp", &out->space_tmp);
}
