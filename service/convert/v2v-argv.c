/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <string.h>

#include "convert/v2v-argv.h"
#include "jobs/request.h"
#include "util/cleanup.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

static int add2(struct argv *a, const char *opt, const char *val)
{
  return argv_add(a, opt) < 0 || argv_add(a, val) < 0 ? -1 : 0;
}

static const char *format_name(enum v2v_format f)
{
  return f == V2V_FORMAT_QCOW2 ? "qcow2" : f == V2V_FORMAT_RAW ? "raw" : NULL;
}

/* -io vddk-KEY=VALUE for each VDDK setting given. */
static int vddk_argv(struct argv *a, const struct convert_vddk *vddk)
{
  const struct { const char *key, *value; } set[] = {
    { "libdir", vddk->libdir }, { "thumbprint", vddk->thumbprint },
    { "config", vddk->config }, { "transports", vddk->transports },
    { "snapshot", vddk->snapshot },
  };

  if (add2(a, "-it", "vddk") < 0)
    return -1;
  for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
    if (set[i].value && (argv_add(a, "-io") < 0 ||
                         argv_addf(a, "vddk-%s=%s", set[i].key,
                                   set[i].value) < 0))
      return -1;
  return 0;
}

static int vmx_ssh_argv(struct argv *a, const struct convert_vmx_ssh *ssh)
{
  const char *user = ssh->user;

  if (add2(a, "-i", "vmx") < 0 || add2(a, "-it", "ssh") < 0 ||
      argv_addf(a, "ssh://%s%s%s%s%.0u%s", user ? user : "", user ? "@" : "",
                ssh->host, ssh->port ? ":" : "", ssh->port, ssh->path) < 0)
    return -1;
  return 0;
}

static int input_argv(struct argv *a, const struct convert_input *in,
                      const struct v2v_files *files, const char **why)
{
  static const char *const modes[] = {
    [CONVERT_IN_DISK] = "disk", [CONVERT_IN_LIBVIRTXML] = "libvirtxml",
    [CONVERT_IN_OVA] = "ova", [CONVERT_IN_VMX] = "vmx",
  };
  const char *format = format_name(in->format);

  switch (in->kind) {
  case CONVERT_IN_DISK:
  case CONVERT_IN_LIBVIRTXML:
  case CONVERT_IN_OVA:
  case CONVERT_IN_VMX:
    return add2(a, "-i", modes[in->kind]) < 0 ||
      (in->kind == CONVERT_IN_DISK && format && add2(a, "-if", format) < 0) ||
      argv_add(a, in->path) < 0 ? -1 : 0;
  case CONVERT_IN_VMX_SSH:
    return vmx_ssh_argv(a, &in->ssh);
  case CONVERT_IN_VCENTER:
    return add2(a, "-i", "libvirt") < 0 ||
      add2(a, "-ic", in->vcenter.url) < 0 ||
      (files && files->password && add2(a, "-ip", files->password) < 0) ||
      (in->vcenter.has_vddk && vddk_argv(a, &in->vcenter.vddk) < 0) ||
      argv_add(a, in->vcenter.vm) < 0 ? -1 : 0;
  }
  FAIL("input: one of disk, libvirtxml, ova, vmx, vcenter is required");
}

/* -o openstack [-os VOLUME_TYPE] -oo KEY=VALUE for its own settings.
 * Credentials are never options here (-oo os-password=… would show in
 * ps): the worker puts them into virt-v2v's environment. */
static int openstack_argv(struct argv *a, const struct convert_openstack *os)
{
  const struct { const char *key, *value; } oo[] = {
    { "server-id", os->server_id }, { "guest-id", os->guest_id },
  };

  if (add2(a, "-o", "openstack") < 0 ||
      (os->volume_type && add2(a, "-os", os->volume_type) < 0))
    return -1;
  for (size_t i = 0; i < sizeof oo / sizeof oo[0]; i++)
    if (oo[i].value && (argv_add(a, "-oo") < 0 ||
                        argv_addf(a, "%s=%s", oo[i].key, oo[i].value) < 0))
      return -1;
  if (os->verify_server_certificate != V2V_UNSET &&
      (argv_add(a, "-oo") < 0 ||
       argv_addf(a, "verify-server-certificate=%s",
                 os->verify_server_certificate == V2V_TRUE ? "true"
                                                           : "false") < 0))
    return -1;
  return 0;
}

static int output_argv(struct argv *a, const struct convert_output *out,
                       const struct v2v_files *files, const char **why)
{
  const char *format = format_name(out->format);
  const char *alloc = out->allocation == V2V_ALLOC_SPARSE ? "sparse"
    : out->allocation == V2V_ALLOC_PREALLOCATED ? "preallocated" : NULL;

  switch (out->kind) {
  case CONVERT_OUT_LOCAL:
    return add2(a, "-o", "local") < 0 || add2(a, "-os", out->dir) < 0 ||
      (format && add2(a, "-of", format) < 0) ||
      (alloc && add2(a, "-oa", alloc) < 0) ? -1 : 0;
  case CONVERT_OUT_BLOCK:
    /* virt-v2v -o local writes DIR/NAME-sdX; the worker made each a
     * symlink to the device, so raw data lands on the devices. */
    if (!files || !files->block_dir)
      FAIL("output.block: no directory of device links");
    return add2(a, "-o", "local") < 0 || add2(a, "-os", files->block_dir) < 0 ||
      add2(a, "-of", "raw") < 0 || add2(a, "-oa", "preallocated") < 0
      ? -1 : 0;
  case CONVERT_OUT_OPENSTACK:
    return openstack_argv(a, &out->openstack);
  case CONVERT_OUT_KUBEVIRT:
    return add2(a, "-o", "kubevirt") < 0 || add2(a, "-os", out->dir) < 0
      ? -1 : 0;
  }
  FAIL("output: one of local, block, openstack, kubevirt is required");
}

/* --mac MAC:network:NAME, MAC:bridge:NAME or MAC:ip:IP,GW,LEN,NS,NS... */
static int mac_argv(struct argv *a, const struct v2v_mac *m)
{
  _cleanup_free_ char *spec = NULL;
  size_t len;
  FILE *f;

  if (m->kind != V2V_MAC_IP)
    return argv_add(a, "--mac") < 0 ||
      argv_addf(a, "%s:%s:%s", m->mac,
                m->kind == V2V_MAC_NETWORK ? "network" : "bridge",
                m->name) < 0 ? -1 : 0;
  if (!(f = open_memstream(&spec, &len)))
    return -1;
  fprintf(f, "%s:ip:%s", m->mac, m->address);
  /* virt-v2v reads the fields by position and takes no empty one: the
   * parser lets a prefix come only with a gateway, name servers only
   * with both */
  assert(m->gateway || (!m->prefix && !m->n_nameservers));
  assert(m->prefix || !m->n_nameservers);
  if (m->gateway)
    fprintf(f, ",%s", m->gateway);
  if (m->prefix)
    fprintf(f, ",%u", m->prefix);
  for (size_t i = 0; i < m->n_nameservers; i++)
    fprintf(f, ",%s", m->nameservers[i]);
  if (fclose(f) != 0)
    return -1;
  return add2(a, "--mac", spec);
}

static int options_argv(struct argv *a, const struct v2v_options *opts,
                        const struct v2v_files *files, const char **why)
{
  const char *root = opts->root == V2V_ROOT_SINGLE ? "single"
    : opts->root == V2V_ROOT_FIRST ? "first"
    : opts->root == V2V_ROOT_DEVICE ? opts->root_device : NULL;

  if (root && argv_addf(a, "--root=%s", root) < 0)
    return -1;
  for (size_t i = 0; i < opts->n_macs; i++)
    if (mac_argv(a, &opts->macs[i]) < 0)
      return -1;
  for (size_t i = 0; i < opts->n_luks_keys; i++) {
    if (!files || !files->luks_keys || i >= files->n_luks_keys ||
        !files->luks_keys[i])
      FAIL("options.luks_keys: device and its key file are required");
    if (argv_add(a, "--key") < 0 ||
        argv_addf(a, "%s:file:%s", opts->luks_devices[i],
                  files->luks_keys[i]) < 0)
      return -1;
  }
  /* The appliance's size: virt-v2v's own options where it has them;
   * older ones (2.2) read LIBGUESTFS_MEMSIZE, set by the worker, and
   * have nothing for the vCPUs (the worker refuses smp there). */
  if (files && files->appliance_flags &&
      ((opts->memsize_mib &&
        (argv_add(a, "--memsize") < 0 ||
         argv_addf(a, "%u", opts->memsize_mib) < 0)) ||
       (opts->smp &&
        (argv_add(a, "--smp") < 0 || argv_addf(a, "%u", opts->smp) < 0))))
    return -1;
  for (size_t i = 0; i < opts->n_extra_args; i++)
    if (argv_add(a, opts->extra_args[i]) < 0)
      return -1;
  return 0;
}

int v2v_argv(struct argv *a, const struct convert_request *req,
             const struct v2v_files *files, const char **why)
{
  *why = NULL;
  if (argv_add(a, "virt-v2v") < 0 ||
      (files && files->machine_readable &&
       argv_addf(a, "--machine-readable=file:%s",
                 files->machine_readable) < 0) ||
      input_argv(a, &req->input, files, why) < 0 ||
      output_argv(a, &req->output, files, why) < 0 ||
      (req->name && add2(a, "-on", req->name) < 0) ||
      options_argv(a, &req->options, files, why) < 0)
    return -1;
  return 0;
}

int v2v_inplace_argv(struct argv *a, const char *program,
                     const struct v2v_options *opts,
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
