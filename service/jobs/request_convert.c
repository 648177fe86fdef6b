/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "convert" request: one guest through virt-v2v into a directory.
 * The worker builds virt-v2v's command line from it (convert/v2v-argv.c),
 * so everything here ends up as one argv element, never a shell string. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs/request_check.h"
#include "util/jsonutil.h"
#include "util/openstack_env.h"

static bool chars_only(const char *s, const char *set)
{
  return *s && strspn(s, set) == strlen(s);
}

#define HEX "0123456789abcdefABCDEF"

static bool mac_valid(const char *s)
{
  if (strlen(s) != 17)
    return false;
  for (int i = 0; i < 17; i++)
    if (i % 3 == 2 ? s[i] != ':' : !strchr(HEX, s[i]) || !s[i])
      return false;
  return true;
}

static int get_ip_addr(struct rq_ctx *c, json_object *o, const char *parent,
                       const char *key, bool required, const char **out)
{
  const char *s = NULL;
  char f[FIELD_MAX];

  if (get_string(c, o, parent, key, required, &s) < 0)
    return -1;
  field_key(f, parent, key);
  if (s && (!chars_only(s, HEX ".:") || strlen(s) > 45))
    return rq_fail(c, f, "must be an IPv4 or IPv6 address");
  *out = s;
  return 0;
}

static int parse_ip(struct rq_ctx *c, json_object *ip, const char *field,
                    struct v2v_mac *out)
{
  static const char *const keys[] = { "address", "gateway", "prefix",
                                      "nameservers", NULL };
  json_object *ns = NULL;
  int64_t prefix = 0;
  char f[FIELD_MAX], g[FIELD_MAX];

  if (check_known_keys(c, ip, field, keys) < 0 ||
      get_ip_addr(c, ip, field, "address", true, &out->address) < 0 ||
      get_ip_addr(c, ip, field, "gateway", false, &out->gateway) < 0 ||
      get_int(c, ip, field, "prefix", false, 1, 128, &prefix) < 0 ||
      get_array(c, ip, field, "nameservers", false, &ns) < 0)
    return -1;
  out->prefix = (unsigned)prefix;
  /* virt-v2v reads IP,GW,LEN,NS... by position, and 2.2 (Debian 12)
   * takes no empty field: a prefix needs the gateway, name servers
   * need both */
  field_key(f, field, "prefix");
  if (prefix && !out->gateway)
    return rq_fail(c, f, "needs gateway (virt-v2v's --mac ...:ip: takes "
                   "the prefix only after a gateway)");
  field_key(f, field, "nameservers");
  if (ns && json_object_array_length(ns) > 0 && (!out->gateway || !prefix))
    return rq_fail(c, f, "needs gateway and prefix (virt-v2v's --mac "
                   "...:ip: takes name servers only after both)");
  if (ns && json_object_array_length(ns) > V2V_MAX_NAMESERVERS)
    return rq_fail(c, f, "at most 8 name servers");
  for (size_t i = 0; ns && i < json_object_array_length(ns); i++) {
    json_object *v = json_object_array_get_idx(ns, i);
    field_index(g, f, i);
    if (!json_object_is_type(v, json_type_string) ||
        !chars_only(json_object_get_string(v), HEX ".:"))
      return rq_fail(c, g, "must be an IPv4 or IPv6 address");
    out->nameservers[out->n_nameservers++] = json_object_get_string(v);
  }
  return 0;
}

int check_mac_entry(struct rq_ctx *c, json_object *m, const char *field,
                    const char *const *keys, const char **net,
                    const char **bridge)
{
  const char *mac = NULL;
  char f[FIELD_MAX];

  if (!json_object_is_type(m, json_type_object))
    return rq_fail(c, field, "must be an object");
  if (check_known_keys(c, m, field, keys) < 0 ||
      get_string(c, m, field, "mac", true, &mac) < 0)
    return -1;
  field_key(f, field, "mac");
  if (!mac_valid(mac))
    return rq_fail(c, f, "must be a MAC address (xx:xx:xx:xx:xx:xx)");
  return get_name(c, m, field, "network", false, net) < 0 ||
         get_name(c, m, field, "bridge", false, bridge) < 0 ? -1 : 0;
}

static int parse_mac(struct rq_ctx *c, json_object *m, const char *field,
                     struct v2v_mac *out)
{
  static const char *const keys[] = { "mac", "network", "bridge", "ip",
                                      NULL };
  const char *net = NULL, *bridge = NULL;
  json_object *ip = NULL;
  char f[FIELD_MAX];

  if (check_mac_entry(c, m, field, keys, &net, &bridge) < 0 ||
      get_object(c, m, field, "ip", false, &ip) < 0)
    return -1;
  if (!!net + !!bridge + !!ip != 1)
    return rq_fail(c, field, "needs exactly one of network, bridge, ip");
  out->mac = json_object_get_string(json_object_object_get(m, "mac"));
  out->kind = net ? V2V_MAC_NETWORK : bridge ? V2V_MAC_BRIDGE : V2V_MAC_IP;
  out->name = net ? net : bridge;
  field_key(f, field, "ip");
  return ip ? parse_ip(c, ip, f, out) : 0;
}

/* A LUKS selector as virt-v2v's --key takes it: a device of the guest
 * (/dev/sda2, /dev/VG/LV) or the LUKS UUID. */
static bool luks_selector_valid(const char *s)
{
  if (strncmp(s, "/dev/", 5) == 0)
    return chars_only(s + 5, "abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/");
  return strlen(s) == 36 && chars_only(s, HEX "-");
}


/* [{"device": SELECTOR, "key_file": ABS}]: each key read here into a
 * secret (RUNTIME/jobs/ID/secrets/FIELD.luks_keys.I.key_file), the
 * worker hands virt-v2v that file: --key SELECTOR:file:SECRET. */
static int parse_luks_keys(struct rq_ctx *c, json_object *keys_list,
                           const char *field, struct v2v_options *out)
{
  static const char *const keys[] = { "device", "key_file", NULL };
  char f[FIELD_MAX], g[FIELD_MAX];

  if (json_object_array_length(keys_list) > V2V_MAX_LUKS_KEYS)
    return rq_fail(c, field, "at most %d keys", V2V_MAX_LUKS_KEYS);
  for (size_t i = 0; i < json_object_array_length(keys_list); i++) {
    json_object *k = json_object_array_get_idx(keys_list, i);
    const char *dev = NULL, *file = NULL;

    field_index(f, field, i);
    if (!json_object_is_type(k, json_type_object))
      return rq_fail(c, f, "must be an object");
    if (check_known_keys(c, k, f, keys) < 0 ||
        get_string(c, k, f, "device", true, &dev) < 0)
      return -1;
    field_key(g, f, "device");
    if (!luks_selector_valid(dev))
      return rq_fail(c, g, "must be a device of the guest (/dev/sda2, "
                     "/dev/VG/LV) or a LUKS UUID");
    if (get_abs_path(c, k, f, "key_file", true, &file) < 0)
      return -1;
    field_key(g, f, "key_file");
    if (take_file_secret(c, g, file, g) < 0)
      return -1;
    out->luks_devices[out->n_luks_keys++] = dev;
  }
  return 0;
}

int parse_convert_options(struct rq_ctx *c, json_object *opts,
                          const char *field, struct v2v_options *out)
{
  static const char *const keys[] = { "root", "macs", "extra_args",
                                      "luks_keys", "memsize_mib", "smp",
                                      NULL };
  json_object *macs = NULL, *extra = NULL, *luks = NULL;
  const char *root = NULL;
  int64_t mem = 0, smp = 0;
  char f[FIELD_MAX], list[FIELD_MAX];

  memset(out, 0, sizeof *out);
  if (check_known_keys(c, opts, field, keys) < 0 ||
      get_int(c, opts, field, "memsize_mib", false, 256, 1024 * 1024,
              &mem) < 0 ||
      get_int(c, opts, field, "smp", false, 1, 256, &smp) < 0 ||
      get_array(c, opts, field, "luks_keys", false, &luks) < 0)
    return -1;
  out->memsize_mib = (unsigned)mem;
  out->smp = (unsigned)smp;
  field_key(list, field, "luks_keys");
  /* The worker finds a key as the secret of options.luks_keys[i]: a
   * sync job's inplace step is run under a request of its own. */
  if (luks && strcmp(field, "options") != 0)
    return rq_fail(c, list, "not supported here: convert with an "
                   "inplace job after the cutover");
  if (luks && parse_luks_keys(c, luks, list, out) < 0)
    return -1;
  if (get_string(c, opts, field, "root", false, &root) < 0)
    return -1;
  field_key(f, field, "root");
  /* "ask" would wait for a person at a terminal. */
  if (root && strcmp(root, "single") != 0 && strcmp(root, "first") != 0 &&
      !(strncmp(root, "/dev/", 5) == 0 &&
        chars_only(root + 5, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/")))
    return rq_fail(c, f, "must be \"single\", \"first\" or "
                   "a device (/dev/sda2, /dev/VG/LV)");
  out->root = !root ? V2V_ROOT_DEFAULT
            : strcmp(root, "single") == 0 ? V2V_ROOT_SINGLE
            : strcmp(root, "first") == 0 ? V2V_ROOT_FIRST : V2V_ROOT_DEVICE;
  out->root_device = out->root == V2V_ROOT_DEVICE ? root : NULL;
  if (get_array(c, opts, field, "macs", false, &macs) < 0 ||
      get_array(c, opts, field, "extra_args", false, &extra) < 0)
    return -1;
  field_key(list, field, "macs");
  if (macs && json_object_array_length(macs) > V2V_MAX_MACS)
    return rq_fail(c, list, "at most %d MAC mappings", V2V_MAX_MACS);
  for (size_t i = 0; macs && i < json_object_array_length(macs); i++) {
    field_index(f, list, i);
    if (parse_mac(c, json_object_array_get_idx(macs, i), f,
                  &out->macs[i]) < 0)
      return -1;
    out->n_macs = i + 1;
  }
  field_key(list, field, "extra_args");
  if (extra && json_object_array_length(extra) > V2V_MAX_EXTRA_ARGS)
    return rq_fail(c, list, "at most %d arguments", V2V_MAX_EXTRA_ARGS);
  for (size_t i = 0; extra && i < json_object_array_length(extra); i++) {
    json_object *v = json_object_array_get_idx(extra, i);
    field_index(f, list, i);
    if (!json_object_is_type(v, json_type_string) ||
        !convert_extra_arg_allowed(json_object_get_string(v)))
      return rq_fail(c, f, "not an allowed virt-v2v argument "
                     "(allowed: -v, -x, --compressed)");
    out->extra_args[out->n_extra_args++] = json_object_get_string(v);
  }
  return 0;
}

/* {"ssh": {"host", "path", "user"?, "port"?, "key_file"}}: the key is
 * read here into a secret (a 0600 file in the job's runtime dir); the
 * worker hands it to an ssh-agent of its own.  No known_hosts: OpenSSH
 * and libssh (nbdkit-ssh-plugin) both find ~/.ssh through the password
 * database, not $HOME, and virt-v2v passes them no options, so the host
 * key must be in the service user's known_hosts. */
static int parse_vmx_ssh(struct rq_ctx *c, json_object *vmx,
                         struct convert_vmx_ssh *out)
{
  static const char *const vmx_keys[] = { "ssh", NULL };
  static const char *const keys[] = { "host", "path", "user", "port",
                                      "key_file", NULL };
  const char *F = "input.vmx.ssh";
  json_object *ssh = NULL;
  const char *host = NULL, *path = NULL, *user = NULL, *key = NULL;
  int64_t port = 0;

  if (check_known_keys(c, vmx, "input.vmx", vmx_keys) < 0 ||
      get_object(c, vmx, "input.vmx", "ssh", true, &ssh) < 0 ||
      check_known_keys(c, ssh, F, keys) < 0 ||
      get_string(c, ssh, F, "host", true, &host) < 0 ||
      get_abs_path(c, ssh, F, "path", true, &path) < 0 ||
      get_string(c, ssh, F, "user", false, &user) < 0 ||
      get_int(c, ssh, F, "port", false, 1, 65535, &port) < 0 ||
      get_abs_path(c, ssh, F, "key_file", true, &key) < 0)
    return -1;
  if (!host_valid(host))
    return rq_fail(c, "input.vmx.ssh.host", "not a host name or address");
  if (user && !chars_only(user, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"))
    return rq_fail(c, "input.vmx.ssh.user", "not a user name");
  if (!chars_only(path, "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/"))
    return rq_fail(c, "input.vmx.ssh.path", "characters other than "
                   "letters, digits and ._-/ are not supported");
  out->host = host;
  out->path = path;
  out->user = user;
  out->port = (unsigned)port;
  return take_file_secret(c, "input.vmx.ssh.key_file", key,
                          "input.vmx.ssh.key_file");
}

/* A string that becomes one argv element (or part of one): no control
 * characters or spaces where SPACES is false, not an option. */
static bool arg_safe(const char *s, bool spaces)
{
  if (*s == '-')
    return false;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f || (!spaces && *p == ' '))
      return false;
  return true;
}

/* {"libdir": ABS, "thumbprint": "AA:BB:…", "config"?: ABS,
 *  "transports"?: "nbdssl:nbd", "snapshot"?: MOREF}: virt-v2v -it vddk
 * with -io vddk-KEY=VALUE each.  Checked on the host when the job runs. */
static int parse_vddk(struct rq_ctx *c, json_object *vddk,
                      struct convert_vddk *out)
{
  static const char *const keys[] = { "libdir", "thumbprint", "config",
                                      "transports", "snapshot", NULL };
  static const char *const transports[] = { "file", "nbd", "nbdssl", "san",
                                            "hotadd", NULL };
  const char *F = "input.vcenter.vddk";
  const char *libdir = NULL, *tp = NULL, *config = NULL, *tr = NULL,
             *snap = NULL;

  if (check_known_keys(c, vddk, F, keys) < 0 ||
      get_abs_path(c, vddk, F, "libdir", true, &libdir) < 0 ||
      get_string(c, vddk, F, "thumbprint", true, &tp) < 0 ||
      get_abs_path(c, vddk, F, "config", false, &config) < 0 ||
      get_string(c, vddk, F, "transports", false, &tr) < 0 ||
      get_string(c, vddk, F, "snapshot", false, &snap) < 0)
    return -1;
  /* SHA1 as VDDK wants it: 20 hex pairs joined by ':' */
  if (strlen(tp) != 59 || !chars_only(tp, HEX ":"))
    return rq_fail(c, "input.vcenter.vddk.thumbprint", "must be the "
                   "host's SHA1 thumbprint, AA:BB:…, 20 hex pairs "
                   "(uchctl check --vcenter HOST prints it)");
  for (int i = 0; i < 59; i++)
    if ((i % 3 == 2) != (tp[i] == ':'))
      return rq_fail(c, "input.vcenter.vddk.thumbprint", "must be the "
                     "host's SHA1 thumbprint, AA:BB:…, 20 hex pairs "
                     "(uchctl check --vcenter HOST prints it)");
  if (tr) {
    char buf[64];
    if (strlen(tr) >= sizeof buf)
      return rq_fail(c, "input.vcenter.vddk.transports", "too long");
    snprintf(buf, sizeof buf, "%s", tr);
    for (char *save = NULL, *t = strtok_r(buf, ":", &save); t;
         t = strtok_r(NULL, ":", &save)) {
      bool known = false;
      for (int i = 0; transports[i]; i++)
        known = known || strcmp(t, transports[i]) == 0;
      if (!known)
        return rq_fail(c, "input.vcenter.vddk.transports", "must be "
                       "transports joined by ':' (file, nbd, nbdssl, san, "
                       "hotadd)");
    }
    if (tr[0] == ':' || tr[strlen(tr) - 1] == ':' || strstr(tr, "::"))
      return rq_fail(c, "input.vcenter.vddk.transports", "must be "
                     "transports joined by ':' (file, nbd, nbdssl, san, "
                     "hotadd)");
  }
  if (snap && (strlen(snap) > 64 ||
               !chars_only(snap, "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")))
    return rq_fail(c, "input.vcenter.vddk.snapshot", "must be a snapshot's "
                   "moref (snapshot-123)");
  out->libdir = libdir;
  out->thumbprint = tp;
  out->config = config;
  out->transports = tr;
  out->snapshot = snap;
  return 0;
}

/* {"url": "vpx://USER@VCENTER/DC/CLUSTER/HOST?no_verify=1", "vm": NAME,
 *  "password_file": ABS, "vddk"?: {...}}: virt-v2v -i libvirt -ic URL
 * -ip SECRET [-it vddk ...] VM.  The password is read here into the
 * secret input.vcenter.password_file (0600), never an argument. */
static int parse_vcenter(struct rq_ctx *c, json_object *in,
                         struct convert_vcenter *out)
{
  static const char *const keys[] = { "url", "vm", "password_file", "vddk",
                                      NULL };
  const char *F = "input.vcenter";
  const char *url = NULL, *vm = NULL, *pw = NULL;
  json_object *vddk = NULL;

  if (check_known_keys(c, in, F, keys) < 0 ||
      get_string(c, in, F, "url", true, &url) < 0)
    return -1;
  if (strncmp(url, "vpx://", 6) != 0 || strlen(url) > 1024 ||
      !arg_safe(url, false) || strchr(url, '\'') || strchr(url, '"'))
    return rq_fail(c, "input.vcenter.url", "must be a vpx:// URL "
                   "(vpx://USER@VCENTER/DATACENTER/CLUSTER/HOST?no_verify=1), "
                   "without spaces or quotes");
  /* libvirt reads the password from -ip; one in the URL would show */
  if (strchr(url + 6, '@') && memchr(url + 6, ':', (size_t)(strchr(url + 6, '@') - url - 6)))
    return rq_fail(c, "input.vcenter.url", "must not hold a password: "
                   "use password_file");
  if (get_string(c, in, F, "vm", true, &vm) < 0)
    return -1;
  if (strlen(vm) > 255 || !arg_safe(vm, true))
    return rq_fail(c, "input.vcenter.vm", "must be the VM's name as vCenter "
                   "shows it (at most 255 characters, no control "
                   "characters, not starting with '-')");
  if (get_abs_path(c, in, F, "password_file", true, &pw) < 0 ||
      take_file_secret(c, "input.vcenter.password_file", pw,
                       "input.vcenter.password_file") < 0)
    return -1;
  /* virt-v2v -ip takes the whole file as the password; the newline
   * `echo pw >file` leaves would be part of it. */
  if (!c->accepted) {
    struct secret *s = &c->secrets->v[c->secrets->n - 1];
    while (s->len > 0 && (s->value[s->len - 1] == '\n' ||
                          s->value[s->len - 1] == '\r'))
      s->value[--s->len] = '\0';
    if (s->len == 0)
      return rq_fail(c, "input.vcenter.password_file", "%s holds no "
                     "password", pw);
  }
  if (get_object(c, in, F, "vddk", false, &vddk) < 0)
    return -1;
  out->url = url;
  out->vm = vm;
  out->has_vddk = vddk != NULL;
  return vddk ? parse_vddk(c, vddk, &out->vddk) : 0;
}

/* Exactly one input mode: a local file, or a vmx over SSH. */
static int parse_input(struct rq_ctx *c, json_object *req,
                       struct convert_input *out)
{
  static const char *const modes[] = { "disk", "libvirtxml", "ova", "vmx",
                                       "vcenter", NULL };
  static const char *const formats[] = { "raw", "qcow2", NULL };
  static const char *const disk_keys[] = { "path", "format", NULL };
  static const char *const path_keys[] = { "path", NULL };
  static const enum convert_input_kind kinds[] = {
    CONVERT_IN_DISK, CONVERT_IN_LIBVIRTXML, CONVERT_IN_OVA, CONVERT_IN_VMX,
    CONVERT_IN_VCENTER,
  };
  json_object *input = NULL, *in = NULL;
  const char *fmt = NULL;
  char f[FIELD_MAX];

  if (get_object(c, req, "", "input", true, &input) < 0)
    return -1;
  if (json_object_object_length(input) != 1)
    return rq_fail(c, "input", "needs exactly one of disk, libvirtxml, "
                   "ova, vmx, vcenter");
  for (int i = 0; modes[i]; i++) {
    if (!json_object_object_get_ex(input, modes[i], NULL))
      continue;
    field_key(f, "input", modes[i]);
    if (get_object(c, input, "input", modes[i], true, &in) < 0)
      return -1;
    out->kind = kinds[i];
    if (i == 3 && json_object_object_get_ex(in, "ssh", NULL)) {
      out->kind = CONVERT_IN_VMX_SSH;
      return parse_vmx_ssh(c, in, &out->ssh);
    }
    if (i == 4)
      return parse_vcenter(c, in, &out->vcenter);
    if (
        check_known_keys(c, in, f, i == 0 ? disk_keys : path_keys) < 0 ||
        check_image_path(c, in, f, "path") < 0 ||
        get_abs_path(c, in, f, "path", true, &out->path) < 0)
      return -1;
    if (i == 0 && get_enum(c, in, f, "format", false, formats, &fmt) < 0)
      return -1;
    out->format = !fmt ? V2V_FORMAT_DEFAULT
                : strcmp(fmt, "qcow2") == 0 ? V2V_FORMAT_QCOW2
                                            : V2V_FORMAT_RAW;
    return 0;
  }
  json_object_object_foreach(input, key, val) {
    (void)val;
    return rq_fail(c, "input", "\"%.32s\" is not supported by this version "
                   "(supported: disk, libvirtxml, ova, vmx, vcenter)", key);
  }
  return -1;
}


/* {"devices": [{"path": "/dev/..."} | {"volume": ID, "wait_s"?}]}: the
 * guest's disks in order, each written raw onto a block device.  Here
 * only what can be seen now; the worker refuses a device the system
 * uses (mounted, swap, LVM, the boot disk). */
static int parse_block_output(struct rq_ctx *c, json_object *out,
                              struct convert_output *o)
{
  static const char *const keys[] = { "devices", NULL };
  static const char *const dev_keys[] = { "path", "volume", "wait_s", NULL };
  json_object *devs = NULL;
  char f[FIELD_MAX], g[FIELD_MAX];
  size_t n;

  if (check_known_keys(c, out, "output.block", keys) < 0 ||
      get_array(c, out, "output.block", "devices", true, &devs) < 0)
    return -1;
  n = json_object_array_length(devs);
  if (n < 1 || n > CONVERT_MAX_BLOCK_DEVICES)
    return rq_fail(c, "output.block.devices", "needs 1 to %d devices",
                   CONVERT_MAX_BLOCK_DEVICES);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(devs, i);
    bool path, volume;
    const char *p = NULL;
    struct stat st;

    field_index(f, "output.block.devices", i);
    if (!json_object_is_type(d, json_type_object))
      return rq_fail(c, f, "must be an object");
    if (check_known_keys(c, d, f, dev_keys) < 0)
      return -1;
    path = json_object_object_get_ex(d, "path", NULL);
    volume = json_object_object_get_ex(d, "volume", NULL);
    if (path == volume)
      return rq_fail(c, f, "needs exactly one of \"path\", \"volume\"");
    o->n_devices = i + 1;
    if (volume) {
      if (parse_volume(c, d, f, &o->devices[i].volume) < 0)
        return -1;
      continue;
    }
    field_key(g, f, "wait_s");
    if (json_object_object_get_ex(d, "wait_s", NULL))
      return rq_fail(c, g, "only goes with \"volume\"");
    if (get_abs_path(c, d, f, "path", true, &p) < 0)
      return -1;
    o->devices[i].path = p;
    field_key(g, f, "path");
    if (c->accepted)
      continue;
    if (stat(p, &st) < 0)
      return rq_fail(c, g, "%s: %m", p);
    if (!S_ISBLK(st.st_mode))
      return rq_fail(c, g, "%s is not a block device", p);
  }
  return 0;
}

/* The last secret taken: an env_file's content, checked line by line. */
static int check_env_file(struct rq_ctx *c, const char *field)
{
  const struct secret *s;
  int line;

  if (c->accepted)
    return 0;
  s = &c->secrets->v[c->secrets->n - 1];
  line = openstack_env_parse(s->value, s->len, NULL, NULL);
  if (line < 0)
    return rq_fail(c, field, "out of memory");
  if (line > 0)
    return rq_fail(c, field, "line %d is not OS_NAME=VALUE (openrc form: "
                   "optional \"export \", a bare or quoted value, no shell "
                   "expansion), a comment or blank", line);
  return 0;
}

/* {"clouds_yaml": ABS, "cloud": NAME} | {"env_file": ABS}: read here into
 * a secret; the worker gives virt-v2v (and the openstack client it runs)
 * OS_CLIENT_CONFIG_FILE + OS_CLOUD, or the file's OS_* variables, in its
 * environment. */
static int parse_openstack_credentials(struct rq_ctx *c, json_object *cr,
                                       struct convert_openstack *out)
{
  static const char *const keys[] = { "clouds_yaml", "cloud", "env_file",
                                      NULL };
  const char *F = "output.openstack.credentials";
  const char *yaml = NULL, *cloud = NULL, *env = NULL;

  if (check_known_keys(c, cr, F, keys) < 0 ||
      get_abs_path(c, cr, F, "clouds_yaml", false, &yaml) < 0 ||
      get_name(c, cr, F, "cloud", false, &cloud) < 0 ||
      get_abs_path(c, cr, F, "env_file", false, &env) < 0)
    return -1;
  if (!!yaml == !!env)
    return rq_fail(c, F, "needs exactly one of clouds_yaml (with cloud), "
                   "env_file");
  out->credentials = env ? OPENSTACK_ENV_FILE : OPENSTACK_CLOUDS_YAML;
  out->cloud = cloud;
  if (env) {
    if (cloud)
      return rq_fail(c, "output.openstack.credentials.cloud", "only goes "
                     "with clouds_yaml");
    return take_file_secret(c, "output.openstack.credentials.env_file", env,
                            "output.openstack.credentials.env_file") < 0
      ? -1 : check_env_file(c, "output.openstack.credentials.env_file");
  }
  if (!cloud)
    return rq_fail(c, "output.openstack.credentials.cloud", "is required "
                   "with clouds_yaml: the cloud's name in it");
  return take_file_secret(c, "output.openstack.credentials.clouds_yaml",
                          yaml, "output.openstack.credentials.clouds_yaml");
}

/* {"server_id": S, "guest_id"?: S, "volume_type"?: S,
 *  "verify_server_certificate"?: bool, "credentials": {...}}: virt-v2v
 * -o openstack [-os VOLUME_TYPE] -oo server-id=S ...; credentials never
 * as -oo os-*. */
static int parse_openstack_output(struct rq_ctx *c, json_object *out,
                                  struct convert_openstack *o)
{
  static const char *const keys[] = { "server_id", "guest_id",
                                      "volume_type",
                                      "verify_server_certificate",
                                      "credentials", NULL };
  static const char *const strs[] = { "server_id", "guest_id",
                                      "volume_type", NULL };
  const char *F = "output.openstack";
  const char **to[] = { &o->server_id, &o->guest_id, &o->volume_type };
  json_object *cr = NULL;
  bool verify = false;
  char f[FIELD_MAX];

  if (check_known_keys(c, out, F, keys) < 0)
    return -1;
  for (int i = 0; strs[i]; i++) {
    const char *s = NULL;
    if (get_string(c, out, F, strs[i], i == 0, &s) < 0)
      return -1;
    field_key(f, F, strs[i]);
    if (s && (strlen(s) > 255 || !arg_safe(s, true)))
      return rq_fail(c, f, "at most 255 characters, no control characters, "
                     "not starting with '-'");
    *to[i] = s;
  }
  o->verify_server_certificate = V2V_UNSET;
  if (get_bool(c, out, F, "verify_server_certificate", false, &verify) < 0 ||
      get_object(c, out, F, "credentials", true, &cr) < 0)
    return -1;
  if (json_object_object_get_ex(out, "verify_server_certificate", NULL) &&
      json_object_object_get(out, "verify_server_certificate"))
    o->verify_server_certificate = verify ? V2V_TRUE : V2V_FALSE;
  return parse_openstack_credentials(c, cr, o);
}

static int parse_output(struct rq_ctx *c, json_object *req,
                        struct convert_output *o)
{
  static const char *const modes[] = { "local", "kubevirt", "block",
                                       "openstack", NULL };
  static const char *const local_keys[] = { "dir", "format", "allocation",
                                            NULL };
  static const char *const kubevirt_keys[] = { "dir", NULL };
  static const char *const formats[] = { "raw", "qcow2", NULL };
  static const char *const allocs[] = { "sparse", "preallocated", NULL };
  static const enum convert_output_kind kinds[] = {
    CONVERT_OUT_LOCAL, CONVERT_OUT_KUBEVIRT, CONVERT_OUT_BLOCK,
    CONVERT_OUT_OPENSTACK,
  };
  json_object *output = NULL, *out = NULL;
  const char *dir = NULL, *fmt = NULL, *alloc = NULL;
  struct stat st;
  char f[FIELD_MAX], g[FIELD_MAX];

  if (get_object(c, req, "", "output", true, &output) < 0)
    return -1;
  if (json_object_object_length(output) != 1)
    return rq_fail(c, "output", "needs exactly one of local, kubevirt, "
                   "block, openstack");
  for (int i = 0; modes[i]; i++) {
    if (!json_object_object_get_ex(output, modes[i], NULL))
      continue;
    field_key(f, "output", modes[i]);
    o->kind = kinds[i];
    if (i >= 2)
      return get_object(c, output, "output", modes[i], true, &out) < 0 ? -1
        : i == 2 ? parse_block_output(c, out, o)
                 : parse_openstack_output(c, out, &o->openstack);
    if (get_object(c, output, "output", modes[i], true, &out) < 0 ||
        check_known_keys(c, out, f, i == 0 ? local_keys : kubevirt_keys) < 0 ||
        get_abs_path(c, out, f, "dir", true, &dir) < 0 ||
        get_enum(c, out, f, "format", false, formats, &fmt) < 0 ||
        get_enum(c, out, f, "allocation", false, allocs, &alloc) < 0)
      return -1;
    o->dir = dir;
    o->format = !fmt ? V2V_FORMAT_DEFAULT
              : strcmp(fmt, "qcow2") == 0 ? V2V_FORMAT_QCOW2 : V2V_FORMAT_RAW;
    o->allocation = !alloc ? V2V_ALLOC_DEFAULT
                  : strcmp(alloc, "sparse") == 0 ? V2V_ALLOC_SPARSE
                                                 : V2V_ALLOC_PREALLOCATED;
    field_key(g, f, "dir");
    if (c->accepted)
      return 0;
    if (stat(dir, &st) < 0)
      return rq_fail(c, g, "%s: %m", dir);
    if (!S_ISDIR(st.st_mode))
      return rq_fail(c, g, "%s is not a directory", dir);
    return 0;
  }
  json_object_object_foreach(output, key, val) {
    (void)val;
    return rq_fail(c, "output", "\"%.32s\" is not supported by this version "
                   "(supported: local, kubevirt, block, openstack)", key);
  }
  return -1;
}

/* No -q: it would hide the progress; nothing naming what to read or
 * write, nor --keys-from-stdin (stdin is /dev/null). */
bool convert_extra_arg_allowed(const char *arg)
{
  static const char *const allowed[] = { "-v", "--verbose", "-x",
                                         "--compressed", NULL };
  for (int i = 0; arg && allowed[i]; i++)
    if (strcmp(arg, allowed[i]) == 0)
      return true;
  return false;
}

int parse_convert(struct rq_ctx *c, json_object *req, struct job_request *r)
{
  static const char *const keys[] = { "type", "id", "labels", "input",
                                      "output", "name", "options", NULL };
  struct convert_request *out = &r->u.convert;
  json_object *opts = NULL;
  const char *name = NULL;

  if (check_known_keys(c, req, "", keys) < 0 ||
      parse_input(c, req, &out->input) < 0 ||
      parse_output(c, req, &out->output) < 0 ||
      get_name(c, req, "", "name", false, &name) < 0 ||
      get_object(c, req, "", "options", false, &opts) < 0)
    return -1;
  out->name = name;
  /* The worker links NAME-sdX to each device before virt-v2v runs, so
   * the name must be known then (virt-v2v's default comes from the
   * source). */
  if (!name && out->output.kind == CONVERT_OUT_BLOCK)
    return rq_fail(c, "name", "is required with output.block");
  return opts ? parse_convert_options(c, opts, "options", &out->options) : 0;
}
