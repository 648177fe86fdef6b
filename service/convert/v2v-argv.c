/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "convert/v2v-argv.h"
#include "jobs/request.h"
#include "util/cleanup.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

static const char *str_at(json_object *o, const char *key)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static json_object *obj_at(json_object *o, const char *key)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_object))
    return NULL;
  return v;
}

static bool int_at(json_object *o, const char *key, int *out)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_int))
    return false;
  *out = json_object_get_int(v);
  return true;
}

static int add2(struct argv *a, const char *opt, const char *val)
{
  return argv_add(a, opt) < 0 || argv_add(a, val) < 0 ? -1 : 0;
}

/* -io vddk-KEY=VALUE for each VDDK setting given. */
static int vddk_argv(struct argv *a, json_object *vddk)
{
  static const char *const str_keys[] = {
    "libdir", "thumbprint", "config", "transports", "snapshot", "cookie",
    NULL,
  };
  static const char *const int_keys[] = { "port", "nfchostport", NULL };
  int n;

  if (add2(a, "-it", "vddk") < 0)
    return -1;
  for (int i = 0; str_keys[i]; i++) {
    const char *v = str_at(vddk, str_keys[i]);
    if (v && (argv_add(a, "-io") < 0 ||
              argv_addf(a, "vddk-%s=%s", str_keys[i], v) < 0))
      return -1;
  }
  for (int i = 0; int_keys[i]; i++)
    if (int_at(vddk, int_keys[i], &n) &&
        (argv_add(a, "-io") < 0 ||
         argv_addf(a, "vddk-%s=%d", int_keys[i], n) < 0))
      return -1;
  return 0;
}

static int vmx_ssh_argv(struct argv *a, json_object *ssh, const char **why)
{
  const char *host = str_at(ssh, "host"), *path = str_at(ssh, "path");
  const char *user = str_at(ssh, "user");
  int port = 0;

  if (!host || !path || path[0] != '/')
    FAIL("input.vmx.ssh: host and an absolute path are required");
  int_at(ssh, "port", &port);
  if (add2(a, "-i", "vmx") < 0 || add2(a, "-it", "ssh") < 0 ||
      argv_addf(a, "ssh://%s%s%s%s%.0d%s", user ? user : "", user ? "@" : "",
                host, port ? ":" : "", port, path) < 0)
    return -1;
  return 0;
}

static int input_argv(struct argv *a, json_object *input,
                      const struct v2v_files *files, const char **why)
{
  static const char *const path_modes[] = { "disk", "libvirtxml", "ova",
                                            "vmx", NULL };
  json_object *in;

  for (int i = 0; path_modes[i]; i++) {
    if (!(in = obj_at(input, path_modes[i])))
      continue;
    if (obj_at(in, "ssh"))
      return vmx_ssh_argv(a, obj_at(in, "ssh"), why);
    const char *path = str_at(in, "path"), *format = str_at(in, "format");
    if (!path)
      FAIL("input: path is required");
    if (add2(a, "-i", path_modes[i]) < 0 ||
        (format && add2(a, "-if", format) < 0) || argv_add(a, path) < 0)
      return -1;
    return 0;
  }
  if ((in = obj_at(input, "vcenter"))) {
    const char *uri = str_at(in, "url"), *vm = str_at(in, "vm");
    if (!uri || !vm)
      FAIL("input.vcenter: url and vm are required");
    if (add2(a, "-i", "libvirt") < 0 || add2(a, "-ic", uri) < 0 ||
        (files && files->password && add2(a, "-ip", files->password) < 0) ||
        (obj_at(in, "vddk") && vddk_argv(a, obj_at(in, "vddk")) < 0) ||
        argv_add(a, vm) < 0)
      return -1;
    return 0;
  }
  FAIL("input: one of disk, libvirtxml, ova, vmx, vcenter is required");
}

/* -o openstack [-os VOLUME_TYPE] -oo KEY=VALUE for its own settings.
 * Credentials are never options here (-oo os-password=… would show in
 * ps): the worker puts them into virt-v2v's environment. */
static int openstack_argv(struct argv *a, json_object *os, const char **why)
{
  static const char *const keys[][2] = {
    { "server_id", "server-id" }, { "guest_id", "guest-id" },
  };
  const char *voltype = str_at(os, "volume_type");
  json_object *v;

  if (!str_at(os, "server_id"))
    FAIL("output.openstack: server_id is required");
  if (add2(a, "-o", "openstack") < 0 ||
      (voltype && add2(a, "-os", voltype) < 0))
    return -1;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    const char *s = str_at(os, keys[i][0]);
    if (s && (argv_add(a, "-oo") < 0 ||
              argv_addf(a, "%s=%s", keys[i][1], s) < 0))
      return -1;
  }
  if (json_object_object_get_ex(os, "verify_server_certificate", &v) &&
      json_object_is_type(v, json_type_boolean) &&
      (argv_add(a, "-oo") < 0 ||
       argv_addf(a, "verify-server-certificate=%s",
                 json_object_get_boolean(v) ? "true" : "false") < 0))
    return -1;
  return 0;
}

static int output_argv(struct argv *a, json_object *output,
                       const struct v2v_files *files, const char **why)
{
  json_object *out;

  if ((out = obj_at(output, "local"))) {
    const char *dir = str_at(out, "dir"), *format = str_at(out, "format");
    const char *alloc = str_at(out, "allocation");
    if (!dir)
      FAIL("output.local: dir is required");
    if (add2(a, "-o", "local") < 0 || add2(a, "-os", dir) < 0 ||
        (format && add2(a, "-of", format) < 0) ||
        (alloc && add2(a, "-oa", alloc) < 0))
      return -1;
    return 0;
  }
  if ((out = obj_at(output, "block"))) {
    /* virt-v2v -o local writes DIR/NAME-sdX; the worker made each a
     * symlink to the device, so raw data lands on the devices. */
    if (!files || !files->block_dir)
      FAIL("output.block: no directory of device links");
    if (add2(a, "-o", "local") < 0 || add2(a, "-os", files->block_dir) < 0 ||
        add2(a, "-of", "raw") < 0 || add2(a, "-oa", "preallocated") < 0)
      return -1;
    return 0;
  }
  if ((out = obj_at(output, "openstack")))
    return openstack_argv(a, out, why);
  if ((out = obj_at(output, "kubevirt"))) {
    const char *dir = str_at(out, "dir");
    if (!dir)
      FAIL("output.kubevirt: dir is required");
    return add2(a, "-o", "kubevirt") < 0 || add2(a, "-os", dir) < 0 ? -1 : 0;
  }
  FAIL("output: one of local, block, openstack, kubevirt is required");
}

/* --mac MAC:network:NAME, MAC:bridge:NAME or MAC:ip:IP,GW,LEN,NS,NS... */
static int mac_argv(struct argv *a, json_object *m, const char **why)
{
  const char *mac = str_at(m, "mac"), *net = str_at(m, "network");
  const char *bridge = str_at(m, "bridge");
  json_object *ip = obj_at(m, "ip"), *ns = NULL;
  _cleanup_free_ char *spec = NULL;
  size_t len;
  FILE *f;
  int prefix = 0;

  if (!mac)
    FAIL("options.macs: mac is required");
  if (net || bridge)
    return argv_add(a, "--mac") < 0 ||
      argv_addf(a, "%s:%s:%s", mac, net ? "network" : "bridge",
                net ? net : bridge) < 0 ? -1 : 0;
  if (!ip || !str_at(ip, "address"))
    FAIL("options.macs: network, bridge or ip.address is required");
  if (!(f = open_memstream(&spec, &len)))
    return -1;
  fprintf(f, "%s:ip:%s", mac, str_at(ip, "address"));
  /* virt-v2v reads the fields by position: a later one needs the
   * earlier ones, empty where not given. */
  int_at(ip, "prefix", &prefix);
  json_object_object_get_ex(ip, "nameservers", &ns);
  if (str_at(ip, "gateway") || prefix || ns)
    fprintf(f, ",%s", str_at(ip, "gateway") ? str_at(ip, "gateway") : "");
  if (prefix || ns)
    fprintf(f, ",%.0d", prefix);
  for (size_t i = 0; ns && json_object_is_type(ns, json_type_array) &&
         i < json_object_array_length(ns); i++)
    fprintf(f, ",%s", json_object_get_string(json_object_array_get_idx(ns, i)));
  if (fclose(f) != 0)
    return -1;
  return add2(a, "--mac", spec);
}

static int options_argv(struct argv *a, json_object *opts,
                        const struct v2v_files *files, const char **why)
{
  json_object *list;
  const char *root = str_at(opts, "root");
  int n;

  if (root && argv_addf(a, "--root=%s", root) < 0)
    return -1;
  if (json_object_object_get_ex(opts, "macs", &list))
    for (size_t i = 0; i < json_object_array_length(list); i++)
      if (mac_argv(a, json_object_array_get_idx(list, i), why) < 0)
        return -1;
  if (json_object_object_get_ex(opts, "luks_keys", &list))
    for (size_t i = 0; i < json_object_array_length(list); i++) {
      const char *dev = str_at(json_object_array_get_idx(list, i), "device");
      if (!dev || !files || !files->luks_keys || i >= files->n_luks_keys ||
          !files->luks_keys[i])
        FAIL("options.luks_keys: device and its key file are required");
      if (argv_add(a, "--key") < 0 ||
          argv_addf(a, "%s:file:%s", dev, files->luks_keys[i]) < 0)
        return -1;
    }
  /* The appliance's size: virt-v2v's own options where it has them;
   * older ones (2.2) read LIBGUESTFS_MEMSIZE, set by the worker, and
   * have nothing for the vCPUs (the worker refuses smp there). */
  if (files && files->appliance_flags &&
      ((int_at(opts, "memsize_mib", &n) &&
        (argv_add(a, "--memsize") < 0 || argv_addf(a, "%d", n) < 0)) ||
       (int_at(opts, "smp", &n) &&
        (argv_add(a, "--smp") < 0 || argv_addf(a, "%d", n) < 0))))
    return -1;
  if (json_object_object_get_ex(opts, "extra_args", &list))
    for (size_t i = 0; i < json_object_array_length(list); i++) {
      const char *arg = json_object_get_string(json_object_array_get_idx(list, i));
      if (!convert_extra_arg_allowed(arg))
        FAIL("options.extra_args: argument not allowed");
      if (argv_add(a, arg) < 0)
        return -1;
    }
  return 0;
}

int v2v_argv(struct argv *a, json_object *request,
             const struct v2v_files *files, const char **why)
{
  const char *name = str_at(request, "name");
  json_object *opts = obj_at(request, "options");

  *why = NULL;
  if (argv_add(a, "virt-v2v") < 0 ||
      (files && files->machine_readable &&
       argv_addf(a, "--machine-readable=file:%s",
                 files->machine_readable) < 0) ||
      input_argv(a, obj_at(request, "input"), files, why) < 0 ||
      output_argv(a, obj_at(request, "output"), files, why) < 0 ||
      (name && add2(a, "-on", name) < 0) ||
      (opts && options_argv(a, opts, files, why) < 0))
    return -1;
  return 0;
}

int v2v_inplace_argv(struct argv *a, const char *program, json_object *opts,
                     const struct v2v_files *files, const char *xml,
                     const char **why)
{
  *why = NULL;
  if (argv_add(a, program) < 0 ||
      (files && files->machine_readable &&
       argv_addf(a, "--machine-readable=file:%s",
                 files->machine_readable) < 0) ||
      add2(a, "-i", "libvirtxml") < 0 ||
      (opts && options_argv(a, opts, files, why) < 0) ||
      argv_add(a, xml) < 0)
    return -1;
  return 0;
}
