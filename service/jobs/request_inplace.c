/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "inplace" request: disks already copied, converted where they are
 * by virt-v2v-in-place (convert/inplace-job.c).  The worker writes the
 * libvirt XML virt-v2v-in-place reads from these fields, so the guest
 * is described here the way the source hypervisor had it. */
#include <string.h>

#include "jobs/request_check.h"

/* A disk to convert: must exist now (a path) or be attached by id. */
static int parse_inplace_disk(struct rq_ctx *c, json_object *d,
                              const char *field, struct rq_inplace_disk *out)
{
  static const char *const keys[] = { "path", "format", "volume", "wait_s",
                                      NULL };
  static const char *const formats[] = { "raw", "qcow2", NULL };
  bool path = json_object_object_get_ex(d, "path", NULL);
  bool volume = json_object_object_get_ex(d, "volume", NULL);
  const char *fmt = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, d, field, keys) < 0)
    return -1;
  if (path == volume)
    return rq_fail(c, field, "needs exactly one of \"path\", \"volume\"");
  if (volume) {
    /* a volume is a block device: converted as it is, raw */
    field_key(f, field, "format");
    if (json_object_object_get_ex(d, "format", NULL))
      return rq_fail(c, f, "only goes with \"path\" (a volume is raw)");
    out->format = FORMAT_RAW;
    return parse_volume(c, d, field, &out->volume);
  }
  field_key(f, field, "wait_s");
  if (json_object_object_get_ex(d, "wait_s", NULL))
    return rq_fail(c, f, "only goes with \"volume\"");
  if (check_image_path(c, d, field, "path") < 0 ||
      get_abs_path(c, d, field, "path", true, &out->path) < 0 ||
      get_enum(c, d, field, "format", false, formats, &fmt) < 0)
    return -1;
  out->format = fmt && strcmp(fmt, "qcow2") == 0 ? FORMAT_QCOW2 : FORMAT_RAW;
  return 0;
}

/* The guest's NICs as the source hypervisor had them (the XML's
 * <interface>s); options.macs maps them, as for convert. */
static int parse_nic(struct rq_ctx *c, json_object *m, const char *field,
                     struct rq_inplace_nic *out)
{
  static const char *const keys[] = { "mac", "network", "bridge", NULL };
  const char *net = NULL, *bridge = NULL;

  if (check_mac_entry(c, m, field, keys, &net, &bridge) < 0)
    return -1;
  if (net && bridge)
    return rq_fail(c, field, "takes at most one of network, bridge");
  out->mac = json_object_get_string(json_object_object_get(m, "mac"));
  out->network = net;
  out->bridge = bridge;
  return 0;
}

int parse_inplace_guest(struct rq_ctx *c, json_object *o, const char *parent,
                        const char *const *keys, struct rq_inplace_guest *out)
{
  static const char *const firmwares[] = { "bios", "uefi", NULL };
  json_object *macs = NULL, *opts = NULL;
  const char *name = NULL, *fw = NULL;
  int64_t n64;
  char f[FIELD_MAX], list[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (check_known_keys(c, o, parent, keys) < 0 ||
      get_name(c, o, parent, "name", true, &name) < 0)
    return -1;
  out->name = name;
  n64 = 0;
  if (get_int(c, o, parent, "memory_mib", false, 64, 16 * 1024 * 1024,
              &n64) < 0)
    return -1;
  out->memory_mib = (unsigned)n64;
  n64 = 0;
  if (get_int(c, o, parent, "vcpus", false, 1, 1024, &n64) < 0)
    return -1;
  out->vcpus = (unsigned)n64;
  if (get_enum(c, o, parent, "firmware", false, firmwares, &fw) < 0 ||
      get_array(c, o, parent, "macs", false, &macs) < 0)
    return -1;
  out->firmware = fw && strcmp(fw, "uefi") == 0 ? FIRMWARE_UEFI
                                                : FIRMWARE_BIOS;
  field_key(list, parent, "macs");
  if (macs && json_object_array_length(macs) > INPLACE_MAX_NICS)
    return rq_fail(c, list, "at most %d NICs", INPLACE_MAX_NICS);
  for (size_t i = 0; macs && i < json_object_array_length(macs); i++) {
    field_index(f, list, i);
    if (parse_nic(c, json_object_array_get_idx(macs, i), f,
                  &out->nics[i]) < 0)
      return -1;
  }
  out->n_nics = macs ? json_object_array_length(macs) : 0;
  if (get_object(c, o, parent, "options", false, &opts) < 0)
    return -1;
  field_key(f, parent, "options");
  return opts ? parse_convert_options(c, opts, f, &out->options) : 0;
}

int parse_inplace(struct rq_ctx *c, json_object *req, struct job_request *out)
{
  static const char *const keys[] = { "type", "id", "labels", "name",
                                      "disks", "memory_mib", "vcpus",
                                      "firmware", "macs", "options", NULL };
  json_object *disks = NULL;
  size_t n;
  char f[FIELD_MAX];

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    field_index(f, "disks", i);
    if (parse_inplace_disk(c, json_object_array_get_idx(disks, i), f,
                           &out->u.inplace.disks[i]) < 0)
      return -1;
  }
  out->u.inplace.n_disks = n;
  return parse_inplace_guest(c, req, "", keys, &out->u.inplace.guest);
}
