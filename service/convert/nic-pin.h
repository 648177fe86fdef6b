/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A Linux guest's static addresses kept on its NICs' old names.
 *
 * virt-v2v's --mac MAC:ip:... gives a Windows guest its static address
 * back on the new NIC, and leaves a Linux guest alone.  But a Linux
 * guest whose network configuration names its NIC (ifupdown's "iface
 * ens192", systemd-networkd's Name=ens192, ifcfg's DEVICE=ens192,
 * NetworkManager's interface-name=ens192) finds no NIC of that name on
 * KVM, where the same NIC (same MAC: the migration keeps it) is ens3 or
 * enp1s0, and comes up without its address.
 *
 * For each options.macs[] entry with an "ip", uch-inspect --pin-nics
 * looks for the configuration holding that address and, where it binds
 * a name, writes a udev rule giving the NIC with that MAC its old name
 * (NIC_PIN_RULES_PATH).  The inplace job runs it on its overlays before
 * virt-v2v-in-place, so the initramfs virt-v2v rebuilds carries the
 * rule too (Debian's udev hook copies /etc/udev/rules.d into it); the
 * convert job on the disks virt-v2v wrote, after it, where the real
 * root's udev renames the NIC, still down (convert/nic-pin-job.h). */
#ifndef UCH_NIC_PIN_H
#define UCH_NIC_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "util/argv.h"

/* RUNTIME/jobs/ID/ files between uch-job and uch-inspect --pin-nics */
#define NIC_PIN_REQUEST_FILE "nic-pin-request.json"
#define NIC_PIN_RESULT_FILE "nic-pin-result.json"
/* in the guest */
#define NIC_PIN_RULES_PATH "/etc/udev/rules.d/70-uch-net-names.rules"

/* How many of O's macs carry an "ip" (virt-v2v's MAC:ip:). */
size_t nic_pin_count(const struct v2v_options *o);

/* *VALUE without one pair of shell quotes around it ('"eth1"', as
 * ifcfg files write values): moves *VALUE past the opening one and
 * returns the length inside them; strlen(*VALUE) when unquoted. */
size_t nic_pin_unquote(const char **value);

/* A value of a guest's configuration names ADDRESS: the value as the
 * file has it ('"10.0.0.5"', "10.0.0.5/24", NetworkManager's
 * "10.0.0.5/24,10.0.0.1"), compared as written (no canonical form of
 * IPv6: the request's address as the guest's file spells it). */
bool nic_pin_addr_matches(const char *value, const char *address);

/* NAME as a guest's configuration gives it, cut at an alias's ':'
 * ("ens192:1" is ens192), into OUT (IFNAMSIZ): false when that is no
 * single interface name a udev rule can give (a glob like "en*", "lo",
 * empty, too long, a character the kernel refuses). */
bool nic_pin_iface_name(const char *name, char out[16]);

/* Where a guest's configuration gives a NIC's address. */
struct nic_pin_found {
  char config[256];              /* the file, in the guest */
  char name[64];                 /* the name it binds, as written; "" */
  bool by_mac;                   /* it binds the NIC by its MAC */
  bool virtual;                  /* a bridge, bond, VLAN...: no NIC */
};

/* The netplan YAML TEXT (LEN bytes, one file of /etc/netplan) gives
 * ADDRESS (nic_pin_addr_matches) in a device's "addresses" (a list of
 * "A/LEN", or of {"A/LEN": {...}}): F (not its config) says how the
 * device is bound.  Under "ethernets", a NIC: by MAC when its "match"
 * has "macaddress", else the name its "match" gives ("name": maybe a
 * glob; "" when it matches by "driver" only), its "set-name" when that
 * "name" is a single one, else its id; under any
 * other section (bridges, bonds, vlans, tunnels...) not a NIC.  1 when
 * found, 0 when not, -1 when TEXT is no YAML (ERR, of ERRLEN, says
 * where). */
int nic_pin_netplan(const char *text, size_t len, const char *address,
                    struct nic_pin_found *f, char *err, size_t errlen);

struct nic_pin_rule {
  const char *mac;               /* as the request gave it */
  const char *name;
};

/* The rules file's text: one NAME= rule a NIC, by its MAC in lower
 * case.  NULL (errno) when out of memory. */
char *nic_pin_rules(const struct nic_pin_rule *rules, size_t n);

/* The request file: the overlays (PATHS, FORMATS) and O's "ip"
 * mappings, {"drives": [{"path", "format"}], "nics": [{"mac",
 * "address"}]}, written atomically with mode 0600.  -1 (errno). */
int nic_pin_write_request(const char *file, char *const *paths,
                          const char *const *formats, size_t n,
                          const struct v2v_options *o);

/* result.nics when no disk of the guest can be opened here (a convert
 * job's output.openstack): each of O's "ip" mappings {"mac",
 * "address", "pinned": false, "reason": WHY}.  NULL when out of
 * memory. */
json_object *nic_pin_unpinned(const struct v2v_options *o, const char *why);

/* HELPER --pin-nics RTDIR */
int nic_pin_argv(struct argv *a, const char *helper, const char *rt_dir);

#endif
