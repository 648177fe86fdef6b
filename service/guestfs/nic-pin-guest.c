/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <guestfs.h>

#include "convert/nic-pin.h"
#include "guestfs/handle.h"
#include "guestfs/nic-pin-guest.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* The files read, each with the Augeas lens that reads it, loaded
 * alone (no other lens, no other file of the guest parsed). */
static const struct { const char *lens, *incl; } files[] = {
  { "Interfaces", "/etc/network/interfaces" },
  { "Interfaces", "/etc/network/interfaces.d/*" },
  { "Systemd", "/etc/systemd/network/*.network" },
  { "Systemd", "/etc/systemd/network/*.netdev" },
  { "Shellvars", "/etc/sysconfig/network-scripts/ifcfg-*" },
  { "Shellvars", "/etc/sysconfig/network/ifcfg-*" },
  { "NetworkManager", "/etc/NetworkManager/system-connections/*" },
};

static char *aug_value(guestfs_h *g, const char *fmt, const char *node)
{
  _cleanup_free_ char *path = NULL;

  if (asprintf(&path, fmt, node) < 0)
    return NULL;
  return QUIET(g, guestfs_aug_get(g, path));
}

static bool aug_exists(guestfs_h *g, const char *fmt, const char *node)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_strings_ char **m = NULL;

  if (asprintf(&path, fmt, node) < 0)
    return false;
  m = QUIET(g, guestfs_aug_match(g, path));
  return m && m[0];
}

/* The value at FMT (NODE in it) is WANT, quoted or not. */
static bool value_is(guestfs_h *g, const char *fmt, const char *node,
                     const char *want)
{
  _cleanup_free_ char *v = aug_value(g, fmt, node);
  const char *in = v;
  size_t len;

  if (!v)
    return false;
  len = nic_pin_unquote(&in);
  return len == strlen(want) && strncmp(in, want, len) == 0;
}

/* Any node matching FMT (NODE in it) whose label starts with PREFIX
 * (NULL: any) and whose value names ADDRESS. */
static bool holds(guestfs_h *g, const char *fmt, const char *node,
                  const char *prefix, const char *address)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_strings_ char **m = NULL;

  if (asprintf(&path, fmt, node) < 0 ||
      !(m = QUIET(g, guestfs_aug_match(g, path))))
    return false;
  for (size_t i = 0; m[i]; i++) {
    const char *label = strrchr(m[i], '/');
    _cleanup_free_ char *v = NULL;

    label = label ? label + 1 : m[i];
    if (prefix && strncmp(label, prefix, strlen(prefix)) != 0)
      continue;
    v = QUIET(g, guestfs_aug_get(g, m[i]));
    if (v && nic_pin_addr_matches(v, address))
      return true;
  }
  return false;
}

/* An Augeas file node "/files/etc/x/y" -> the guest's "/etc/x/y". */
static void file_of(const char *node, char *out, size_t size)
{
  snprintf(out, size, "%s", strncmp(node, "/files", 6) == 0 ? node + 6 : node);
}

/* F's name from NAME (freed here: an Augeas value or NULL), without
 * one pair of shell quotes around it, as ifcfg files write values. */
static void set_name(struct nic_pin_found *f, char *name)
{
  const char *in = name;
  size_t len;

  if (!name)
    return;
  len = nic_pin_unquote(&in);
  snprintf(f->name, sizeof f->name, "%.*s", (int)len, in);
  free(name);
}

static bool find_ifupdown(guestfs_h *g, const char *address, struct nic_pin_found *f)
{
  /* the options that make an iface a bridge, a bond or a VLAN */
  static const char *const virtual_keys[] = {
    "%s/bridge_ports", "%s/bridge-ports", "%s/bond-slaves",
    "%s/bond_slaves", "%s/vlan-raw-device", "%s/vlan_raw_device", NULL };
  static const char *const roots[] = {
    "/files/etc/network/interfaces/iface",
    "/files/etc/network/interfaces.d/*/iface",
  };

  for (size_t r = 0; r < 2; r++) {
    _cleanup_strings_ char **m = QUIET(g, guestfs_aug_match(g, roots[r]));
    for (size_t i = 0; m && m[i]; i++) {
      if (!holds(g, "%s/address", m[i], NULL, address))
        continue;
      file_of(m[i], f->config, sizeof f->config);
      *strrchr(f->config, '/') = '\0';          /* .../iface[N] */
      set_name(f, QUIET(g, guestfs_aug_get(g, m[i])));
      for (size_t k = 0; virtual_keys[k]; k++)
        if (aug_exists(g, virtual_keys[k], m[i]))
          f->virtual = true;
      return true;
    }
  }
  return false;
}

/* A systemd-networkd .netdev makes a device called NAME. */
static bool netdev_named(guestfs_h *g, const char *name)
{
  _cleanup_strings_ char **m = QUIET(g, guestfs_aug_match(
    g, "/files/etc/systemd/network/*/NetDev/Name/value"));

  for (size_t i = 0; m && m[i]; i++) {
    _cleanup_free_ char *v = QUIET(g, guestfs_aug_get(g, m[i]));
    if (v && strcmp(v, name) == 0)
      return true;
  }
  return false;
}

static bool find_networkd(guestfs_h *g, const char *address, struct nic_pin_found *f)
{
  _cleanup_strings_ char **m =
    QUIET(g, guestfs_aug_match(g, "/files/etc/systemd/network/*"));

  for (size_t i = 0; m && m[i]; i++) {
    if (!holds(g, "%s/Network/Address/value", m[i], NULL, address) &&
        !holds(g, "%s/Address/Address/value", m[i], NULL, address))
      continue;
    file_of(m[i], f->config, sizeof f->config);
    f->by_mac = aug_exists(g, "%s/Match/MACAddress", m[i]) ||
                aug_exists(g, "%s/Match/PermanentMACAddress", m[i]);
    set_name(f, aug_value(g, "%s/Match/Name/value", m[i]));
    f->virtual = netdev_named(g, f->name);
    return true;
  }
  return false;
}

static bool find_ifcfg(guestfs_h *g, const char *address, struct nic_pin_found *f)
{
  static const char *const roots[] = {
    "/files/etc/sysconfig/network-scripts/*",
    "/files/etc/sysconfig/network/*",
  };

  for (size_t r = 0; r < 2; r++) {
    _cleanup_strings_ char **m = QUIET(g, guestfs_aug_match(g, roots[r]));
    for (size_t i = 0; m && m[i]; i++) {
      const char *base = strrchr(m[i], '/') + 1;
      if (!holds(g, "%s/*", m[i], "IPADDR", address))
        continue;
      file_of(m[i], f->config, sizeof f->config);
      f->by_mac = aug_exists(g, "%s/HWADDR", m[i]) ||
                  aug_exists(g, "%s/MACADDR", m[i]);
      set_name(f, aug_value(g, "%s/DEVICE", m[i]));
      f->virtual = aug_exists(g, "%s/TYPE", m[i]) &&
                   !value_is(g, "%s/TYPE", m[i], "Ethernet");
      if (!f->name[0] && strncmp(base, "ifcfg-", 6) == 0)
        snprintf(f->name, sizeof f->name, "%s", base + 6);
      return true;
    }
  }
  return false;
}

static bool find_nm(guestfs_h *g, const char *address, struct nic_pin_found *f)
{
  _cleanup_strings_ char **m = QUIET(g, guestfs_aug_match(
    g, "/files/etc/NetworkManager/system-connections/*"));

  for (size_t i = 0; m && m[i]; i++) {
    if (!holds(g, "%s/ipv4/*", m[i], "address", address) &&
        !holds(g, "%s/ipv6/*", m[i], "address", address))
      continue;
    file_of(m[i], f->config, sizeof f->config);
    f->by_mac = aug_exists(g, "%s/ethernet/mac-address", m[i]);
    set_name(f, aug_value(g, "%s/connection/interface-name", m[i]));
    f->virtual = aug_exists(g, "%s/connection/type", m[i]) &&
                 !value_is(g, "%s/connection/type", m[i], "ethernet") &&
                 !value_is(g, "%s/connection/type", m[i], "802-3-ethernet");
    return true;
  }
  return false;
}

/* netplan's YAML files (read with libyaml, not Augeas), each of
 * /etc/netplan's *.yaml by itself, in netplan's order; a file that is
 * no YAML is said and skipped. */
static bool find_netplan(guestfs_h *g, const char *address,
                         struct nic_pin_found *f)
{
  _cleanup_strings_ char **yamls =
    QUIET(g, guestfs_glob_expand(g, "/etc/netplan/*.yaml"));

  for (size_t i = 0; yamls && yamls[i]; i++) {
    size_t size;
    _cleanup_free_ char *text = QUIET(g, guestfs_read_file(g, yamls[i],
                                                           &size));
    char err[256];
    int rc;

    if (!text)
      continue;
    rc = nic_pin_netplan(text, size, address, f, err, sizeof err);
    if (rc < 0)
      printf("%s: not read: %s\n", yamls[i], err);
    if (rc == 1) {
      snprintf(f->config, sizeof f->config, "%s", yamls[i]);
      return true;
    }
  }
  return false;
}

/* NIC's entry of the result; a rule in RULES[*N] when it is pinned. */
static json_object *pin_one(guestfs_h *g, const char *mac,
                            const char *address, struct nic_pin_rule *rules,
                            char (*names)[16], size_t *n)
{
  json_object *o = json_object_new_object();
  struct nic_pin_found f = { 0 };
  const char *name;
  char why[512];

  json_object_object_add(o, "mac", json_object_new_string(mac));
  json_object_object_add(o, "address", json_object_new_string(address));
  if (!find_ifupdown(g, address, &f) && !find_networkd(g, address, &f) &&
      !find_ifcfg(g, address, &f) && !find_nm(g, address, &f) &&
      !find_netplan(g, address, &f)) {
    snprintf(why, sizeof why, "no network configuration of the guest holds "
             "%s (read: ifupdown, systemd-networkd, ifcfg, NetworkManager "
             "keyfiles, netplan)", address);
    goto unpinned;
  }
  json_object_object_add(o, "config", json_object_new_string(f.config));
  if (f.by_mac) {
    snprintf(why, sizeof why, "%s binds the NIC by its MAC address, which "
             "the migration keeps", f.config);
    goto unpinned;
  }
  if (!f.name[0]) {
    snprintf(why, sizeof why, "%s binds no interface name", f.config);
    goto unpinned;
  }
  if (f.virtual || strchr(f.name, '.')) {
    snprintf(why, sizeof why, "%s gives %s to %s, a bridge, bond or VLAN, "
             "not the NIC itself", f.config, address, f.name);
    goto unpinned;
  }
  if (!nic_pin_iface_name(f.name, names[*n])) {
    snprintf(why, sizeof why, "%s names \"%s\", which is no single interface "
             "name: it matches the NIC whatever its name", f.config, f.name);
    goto unpinned;
  }
  name = names[*n];
  /* an alias's address comes with its NIC's MAC again: one rule; but
   * one name for two NICs, or two names for one, cannot be */
  for (size_t i = 0; i < *n; i++) {
    bool same_mac = strcasecmp(rules[i].mac, mac) == 0;
    bool same_name = strcmp(rules[i].name, names[*n]) == 0;
    if (same_mac && same_name)
      goto pinned;
    if (same_mac || same_name) {
      snprintf(why, sizeof why, "%s names %s, but %s is already named %s",
               f.config, names[*n], rules[i].mac, rules[i].name);
      goto unpinned;
    }
  }
  rules[*n] = (struct nic_pin_rule){ mac, names[*n] };
  (*n)++;
pinned:
  json_object_object_add(o, "name", json_object_new_string(name));
  json_object_object_add(o, "pinned", json_object_new_boolean(true));
  printf("%s (%s): named %s, as %s has it\n", mac, address, name, f.config);
  return o;
unpinned:
  json_object_object_add(o, "pinned", json_object_new_boolean(false));
  json_object_object_add(o, "reason", json_object_new_string(why));
  printf("%s (%s): not pinned: %s\n", mac, address, why);
  return o;
}

static int load_config(guestfs_h *g)
{
  /* 64: AUG_NO_MODL_AUTOLOAD, only the transforms below */
  if (guestfs_aug_init(g, "/", 64) < 0)
    return -1;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (guestfs_aug_transform(g, files[i].lens, files[i].incl, -1) < 0)
      return -1;
  return guestfs_aug_load(g);
}

static int write_rules(guestfs_h *g, const struct nic_pin_rule *rules,
                       size_t n)
{
  _cleanup_free_ char *text = nic_pin_rules(rules, n);

  if (!text) {
    fprintf(stderr, "uch-inspect: error: out of memory\n");
    return -1;
  }
  if (guestfs_mkdir_p(g, "/etc/udev/rules.d") < 0 ||
      guestfs_write(g, NIC_PIN_RULES_PATH, text, strlen(text)) < 0)
    return -1;
  printf("wrote %s\n", NIC_PIN_RULES_PATH);
  return 0;
}

static int pin(guestfs_h *g, json_object *nics, json_object *out)
{
  _cleanup_strings_ char **roots = guestfs_inspect_os(g);
  _cleanup_strings_ char **mps = NULL;
  _cleanup_free_ char *type = NULL;
  size_t n_nics = json_object_array_length(nics), n = 0;
  _cleanup_free_ struct nic_pin_rule *rules =
    calloc(n_nics + 1, sizeof *rules);
  _cleanup_free_ char (*names)[16] = calloc(n_nics + 1, sizeof *names);
  json_object *list = json_object_new_array();

  json_object_object_add(out, "nics", list);
  if (!rules || !names) {
    fprintf(stderr, "uch-inspect: error: out of memory\n");
    return -1;
  }
  if (!roots || !roots[0]) {
    fprintf(stderr, "uch-inspect: error: no operating system found on the "
            "disks\n");
    return -1;
  }
  type = guestfs_inspect_get_type(g, roots[0]);
  json_object_object_add(out, "os_type",
                         json_object_new_string(type ? type : "unknown"));
  /* virt-v2v itself gives other guests (Windows) their addresses */
  if (!type || strcmp(type, "linux") != 0) {
    printf("a %s guest: virt-v2v's --mac ...:ip: applies\n",
           type ? type : "unknown");
    return 0;
  }
  if (!(mps = guestfs_inspect_get_mountpoints(g, roots[0])))
    return -1;
  gfs_mount_root(g, mps, false);
  if (load_config(g) < 0)
    return -1;
  for (size_t i = 0; i < n_nics; i++) {
    json_object *nic = json_object_array_get_idx(nics, i);
    json_object_array_add(list, pin_one(g, json_get_string(nic, "mac"),
                                        json_get_string(nic, "address"),
                                        rules, names, &n));
  }
  if (n > 0 && write_rules(g, rules, n) < 0)
    return -1;
  if (guestfs_aug_close(g) < 0 || guestfs_umount_all(g) < 0)
    return -1;
  return 0;
}

static int add_drives(guestfs_h *g, json_object *drives)
{
  size_t n = json_object_array_length(drives);

  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(drives, i);
    const char *path = json_get_string(d, "path");
    if (!path) {
      fprintf(stderr, "uch-inspect: error: drives[%zu]: no path\n", i);
      return -1;
    }
    if (guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT,
                               json_get_string(d, "format"), -1) < 0)
      return -1;
  }
  return 0;
}

int nic_pin_guest_main(const char *rt_dir)
{
  _cleanup_gfs_ guestfs_h *g = NULL;
  _cleanup_free_ char *in = NULL, *out_path = NULL;
  _cleanup_json_ json_object *req = NULL;
  _cleanup_json_ json_object *out = json_object_new_object();
  json_object *drives, *nics;

  setvbuf(stdout, NULL, _IOLBF, 0);
  if (asprintf(&in, "%s/%s", rt_dir, NIC_PIN_REQUEST_FILE) < 0 ||
      asprintf(&out_path, "%s/%s", rt_dir, NIC_PIN_RESULT_FILE) < 0)
    return 1;
  req = json_read_path(in);
  drives = json_get(req, "drives");
  nics = json_get(req, "nics");
  if (!drives || !json_object_is_type(drives, json_type_array) ||
      !nics || !json_object_is_type(nics, json_type_array)) {
    fprintf(stderr, "uch-inspect: error: %s: no drives or nics\n", in);
    return 1;
  }
  if (!(g = gfs_open()) || add_drives(g, drives) < 0)
    return 1;
  gfs_phase("launching");
  if (guestfs_launch(g) < 0)
    return 1;
  gfs_phase("keeping NIC names");
  if (pin(g, nics, out) < 0)
    return 1;
  /* the writes reach the disks before the result says they were made */
  if (guestfs_shutdown(g) < 0)
    return 1;
  if (json_write_path(out_path, out, 0600) < 0) {
    fprintf(stderr, "uch-inspect: error: %s: %m\n", out_path);
    return 1;
  }
  return 0;
}
