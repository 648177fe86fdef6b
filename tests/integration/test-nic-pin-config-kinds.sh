#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-inspect --pin-nics (an inplace job's step that keeps a Linux
# guest's NIC names, docs/api.md) on each kind of network configuration
# it reads, in a real libguestfs appliance with the guest's files parsed
# by Augeas: a Linux root made with mke2fs -d (no appliance to build it)
# holding ifupdown (a NIC, an alias, a bridge), systemd-networkd (a NIC
# by name, a NIC by MAC, a glob, a bond of a .netdev), ifcfg (by name,
# by HWADDR, quoted), NetworkManager keyfiles (by interface-name, a
# VLAN connection) and netplan, read with libyaml (by id, by match.name
# with set-name: named set-name's, by match.macaddress, a bridge, a file
# that is no YAML).  Each mapping's entry in the result, and the rules
# file: a rule for exactly the NICs bound by a single name.
source "$UCH_TOP/tests/lib/functions.sh"
require guestfish
require mkfs.ext4
require debugfs
require jq

r=$T/root
mkdir -p "$r"/etc/network/interfaces.d "$r"/etc/systemd/network \
  "$r"/etc/sysconfig/network-scripts "$r"/etc/NetworkManager/system-connections \
  "$r"/etc/netplan \
  "$r"/bin "$r"/usr/bin "$r"/sbin
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$r/etc/os-release"
echo 12.0 >"$r/etc/debian_version"
echo "/dev/sda / ext4 defaults 0 1" >"$r/etc/fstab"
cp /bin/true "$r/bin/ls"
cat >"$r/etc/network/interfaces" <<'EOF2'
auto lo
iface lo inet loopback

allow-hotplug ens192
iface ens192 inet static
    address 10.1.0.1/24
    gateway 10.1.0.254

iface ens192:1 inet static
    address 10.1.0.2

auto br0
iface br0 inet static
    address 10.1.0.3/24
    bridge_ports ens256
EOF2
printf '[Match]\nName=ens224\n\n[Network]\nAddress=10.2.0.1/24\n' >"$r/etc/systemd/network/10-a.network"
printf '[Match]\nMACAddress=00:50:56:00:00:22\n\n[Network]\nAddress=10.2.0.2/24\n' >"$r/etc/systemd/network/20-b.network"
printf '[Match]\nName=en*\n\n[Network]\nAddress=10.2.0.3/24\n' >"$r/etc/systemd/network/30-c.network"
printf '[Match]\nName=bond0\n\n[Network]\nAddress=10.2.0.4/24\n' >"$r/etc/systemd/network/40-d.network"
printf '[NetDev]\nName=bond0\nKind=bond\n' >"$r/etc/systemd/network/40-d.netdev"
printf 'DEVICE=eth1\nBOOTPROTO=none\nIPADDR="10.3.0.1"\nPREFIX=24\n' >"$r/etc/sysconfig/network-scripts/ifcfg-eth1"
printf 'DEVICE=eth2\nHWADDR=00:50:56:00:00:32\nIPADDR=10.3.0.2\n' >"$r/etc/sysconfig/network-scripts/ifcfg-eth2"
printf 'BOOTPROTO=none\nIPADDR0=10.3.0.3\n' >"$r/etc/sysconfig/network-scripts/ifcfg-ens33"
printf '[connection]\nid=w\ntype=ethernet\ninterface-name=enp2s0\n\n[ipv4]\naddress1=10.4.0.1/24,10.4.0.254\nmethod=manual\n' \
  >"$r/etc/NetworkManager/system-connections/w.nmconnection"
printf '[connection]\nid=v\ntype=vlan\ninterface-name=vlan7\n\n[vlan]\nid=7\nparent=enp2s0\n\n[ipv4]\naddress1=10.4.0.2/24\nmethod=manual\n' \
  >"$r/etc/NetworkManager/system-connections/v.nmconnection"
printf '[Match]\nName=ens224\n\n[Network]\nAddress=10.5.0.1/24\n' >"$r/etc/systemd/network/50-e.network"
cat >"$r/etc/netplan/50-cloud-init.yaml" <<'EOF2'
network:
  version: 2
  ethernets:
    ens160:
      addresses: [10.6.0.1/24]
      routes: [{to: default, via: 10.6.0.254}]
    lan:
      match: {name: ens161}
      set-name: lan0
      addresses:
        - "10.6.0.2/24":
            label: lan0:main
    wan:
      match:
        macaddress: "00:50:56:00:00:11"
      set-name: wan0
      addresses: [10.6.0.3/24]
    ens162: {dhcp4: false}
  bridges:
    br1:
      interfaces: [ens162]
      addresses: [10.6.0.4/24]
EOF2
printf 'network:\n  ethernets: {eth0: [\n' >"$r/etc/netplan/00-broken.yaml"
mkfs.ext4 -q -d "$r" -L root "$T/disk.img" 64M

# the Nth address with MAC 00:50:56:00:00:N (hex), but the alias's
# (10.1.0.2) with its NIC's (1), and 10.5.0.1 (ens224 again) another's
nics="" m=0
for a in 10.1.0.1 10.1.0.2 10.1.0.3 10.2.0.1 10.2.0.2 10.2.0.3 10.2.0.4 \
         10.3.0.1 10.3.0.2 10.3.0.3 10.4.0.1 10.4.0.2 10.9.9.9 10.5.0.1 \
         10.6.0.1 10.6.0.2 10.6.0.3 10.6.0.4; do
  m=$((m + 1))
  mac=$(printf '00:50:56:00:00:%02X' "$m")
  [ "$a" = 10.1.0.2 ] && mac=00:50:56:00:00:01
  nics="${nics:+$nics, }{\"mac\": \"$mac\", \"address\": \"$a\"}"
done

mkdir -p "$T/rt"
printf '{"drives": [{"path": "%s", "format": "raw"}], "nics": [%s]}\n' "$T/disk.img" "$nics" \
  >"$T/rt/nic-pin-request.json"
uch-inspect --pin-nics "$T/rt" >"$T/out.log" 2>&1 || die "uch-inspect failed: $(tail -20 "$T/out.log")"
res=$T/rt/nic-pin-result.json
[ -s "$res" ] || die "no result: $(tail -20 "$T/out.log")"
[ "$(jq -r .os_type "$res")" = linux ] || die "os_type: $(jq -c . "$res")"

# address -> "name" when pinned, else the reason's first words
got() { jq -r --arg a "$1" '.nics[] | select(.address == $a) |
  if .pinned then "pinned " + .name + " " + .config else "no: " + .reason end' "$res"; }
# shellcheck disable=SC2254 # WANT is a pattern
want() {
  local g
  g=$(got "$1")
  case $g in $2) ;; *) die "$1: got \"$g\", want \"$2\"" ;; esac
}
want 10.1.0.1 "pinned ens192 /etc/network/interfaces"
want 10.1.0.2 "pinned ens192 /etc/network/interfaces"
want 10.1.0.3 "no: /etc/network/interfaces gives 10.1.0.3 to br0, a bridge, bond or VLAN*"
pass "ifupdown: a NIC and its alias (the same MAC, one rule) pinned, a bridge not"
want 10.2.0.1 "pinned ens224 /etc/systemd/network/10-a.network"
want 10.2.0.2 "no: /etc/systemd/network/20-b.network binds the NIC by its MAC address*"
want 10.2.0.3 "no: /etc/systemd/network/30-c.network names \"en\*\", which is no single interface name*"
want 10.2.0.4 "no: /etc/systemd/network/40-d.network gives 10.2.0.4 to bond0, a bridge, bond or VLAN*"
pass "systemd-networkd: by name pinned; by MAC, a glob and a bond not"
want 10.3.0.1 "pinned eth1 /etc/sysconfig/network-scripts/ifcfg-eth1"
want 10.3.0.2 "no: /etc/sysconfig/network-scripts/ifcfg-eth2 binds the NIC by its MAC address*"
want 10.3.0.3 "pinned ens33 /etc/sysconfig/network-scripts/ifcfg-ens33"
pass "ifcfg: DEVICE (quoted address) and the file's name pinned; HWADDR not"
want 10.4.0.1 "pinned enp2s0 /etc/NetworkManager/system-connections/w.nmconnection"
want 10.4.0.2 "no: /etc/NetworkManager/system-connections/v.nmconnection gives 10.4.0.2 to vlan7, a bridge, bond or VLAN*"
pass "NetworkManager: interface-name pinned, a VLAN not"
want 10.6.0.1 "pinned ens160 /etc/netplan/50-cloud-init.yaml"
want 10.6.0.2 "pinned lan0 /etc/netplan/50-cloud-init.yaml"
want 10.6.0.3 "no: /etc/netplan/50-cloud-init.yaml binds the NIC by its MAC address*"
want 10.6.0.4 "no: /etc/netplan/50-cloud-init.yaml gives 10.6.0.4 to br1, a bridge, bond or VLAN*"
grep -q "^/etc/netplan/00-broken.yaml: not read: line " "$T/out.log" ||
  die "the file that is no YAML was not said: $(grep netplan "$T/out.log")"
pass "netplan: by id and by match.name pinned; by MAC, a bridge not; no YAML said"
want 10.9.9.9 "no: no network configuration of the guest holds 10.9.9.9 *"
pass "an address no file configures: said so"
want 10.5.0.1 "no: /etc/systemd/network/50-e.network names ens224, but 00:50:56:00:00:04 is already named ens224"
pass "a second NIC for a name already given: not pinned, said so"

debugfs -R "cat /etc/udev/rules.d/70-uch-net-names.rules" "$T/disk.img" 2>/dev/null | grep -v '^#' >"$T/rules"
cat >"$T/rules.want" <<'EOF2'
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:01", NAME="ens192"
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:04", NAME="ens224"
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:08", NAME="eth1"
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:0a", NAME="ens33"
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:0b", NAME="enp2s0"
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:0f", NAME="ens160"
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:00:00:10", NAME="lan0"
EOF2
diff "$T/rules.want" "$T/rules" || die "the guest's rules file differs"
pass "the rules file: one rule for each NIC pinned, by its MAC"
