#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A Linux guest's static address kept on its NIC's old name (issue 17,
# item 1): the Debian test guest configured as on VMware, its NIC named
# ens192 (vmxnet3 in PCI slot 192) by systemd-networkd's static
# 10-static.network, is converted in place with options.macs[] giving
# its NIC's MAC and address.  On KVM the same NIC would be ens3 and the
# guest would come up without its address: uch-inspect --pin-nics
# writes a udev rule that keeps the name by the MAC, before
# virt-v2v-in-place rebuilds the initramfs (which then holds it too).
# The job's result says what it did for each NIC (a second mapping, an
# address the guest does not configure, is said not pinned and why);
# the guest, booted on a tap with that MAC, names its NIC ens192 on the
# console and answers a ping at its address, from its MAC.
# uch-test: slow
# uch-test: timeout=1500
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require qemu-system-x86_64
require debugfs
require jq
mac=52:54:00:77:00:05
addr=10.77.0.5

base=$("$UCH_TOP/tests/guests/make-debian.sh" raw) || {
  rc=$?; [ $rc = 77 ] && skip "cannot build the Debian guest here"; die "make-debian.sh failed ($rc)"; }
cp --sparse=always "$base" "$T/deb.raw"
# The guest as on VMware: a static address on ens192 (its DHCP on any
# en* name taken out).  debugfs writes the root in place, without a
# libguestfs appliance.
start=$(sfdisk -J "$T/deb.raw" | jq -r '.partitiontable.partitions[0].start')
printf '[Match]\nName=ens192\n\n[Network]\nAddress=%s/24\n' "$addr" >"$T/10-static.network"
printf '%s\n' "rm /etc/systemd/network/80-dhcp.network" "cd /etc/systemd/network" \
  "write $T/10-static.network 10-static.network" >"$T/debugfs.cmds"
debugfs -w -f "$T/debugfs.cmds" "$T/deb.raw?offset=$((start * 512))" >"$T/debugfs.log" 2>&1
debugfs -R "cat /etc/systemd/network/10-static.network" "$T/deb.raw?offset=$((start * 512))" 2>/dev/null |
  grep -qx "Name=ens192" || die "could not set the guest up: $(cat "$T/debugfs.log")"

uchd_start
t0=$SECONDS
cat >"$T/nic.json" <<JSON
{"type": "inplace", "id": "nic", "name": "nic", "memory_mib": 1024, "vcpus": 1,
 "disks": [{"path": "$T/deb.raw", "format": "raw"}],
 "macs": [{"mac": "$mac", "network": "default"}],
 "options": {"macs": [{"mac": "$mac", "ip": {"address": "$addr", "gateway": "10.77.0.1", "prefix": 24}},
                      {"mac": "52:54:00:77:00:09", "ip": {"address": "10.77.0.9"}}]}}
JSON
api POST /v1/jobs "$T/nic.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
st=$(job_wait nic 1200)
api GET /v1/jobs/nic >"$T/job.json"
[ "$st" = succeeded ] || die "inplace job ended $st: $(jq -c '{error,phase}' "$T/job.json"); log: $(tail -30 "$T/state/jobs/nic/job.log")"
pass "converted in place ($((SECONDS - t0)) s)"

jq -e --arg mac "$mac" --arg addr "$addr" '.result.nics[0] ==
  {"mac": $mac, "address": $addr, "config": "/etc/systemd/network/10-static.network",
   "name": "ens192", "pinned": true}' "$T/job.json" >/dev/null ||
  die "result.nics[0]: $(jq -c '.result.nics' "$T/job.json")"
reason=$(jq -r '.result.nics[1] | select(.pinned == false) | .reason' "$T/job.json")
case $reason in
  "no network configuration of the guest holds 10.77.0.9 "*) ;;
  *) die "result.nics[1]: $(jq -c '.result.nics[1]' "$T/job.json")" ;;
esac
grep -q "$mac ($addr): named ens192, as /etc/systemd/network/10-static.network has it" \
  "$T/state/jobs/nic/job.log" || die "the job's log does not say what it did"
pass "result: ens192 kept for $mac ($addr); 10.77.0.9: $reason"

debugfs -R "cat /etc/udev/rules.d/70-uch-net-names.rules" "$T/deb.raw?offset=$((start * 512))" 2>/dev/null >"$T/rules"
grep -qx "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"$mac\", NAME=\"ens192\"" "$T/rules" ||
  die "the guest's rule: $(cat "$T/rules")"
initramfs_has_virtio "$T/deb.raw"
grep -q "70-uch-net-names.rules" "$T/initrd.list" ||
  die "the rebuilt initramfs lacks the rule: $(grep rules "$T/initrd.list")"
pass "the rule is in the guest and in the initramfs virt-v2v rebuilt"

# Booted on a tap of a namespace of our own, with the NIC's MAC.
ns=uchnic$$
ip netns add "$ns" || skip "cannot make a network namespace"
cleanup_add "ip netns del $ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip tuntap add tap0 mode tap
ip netns exec "$ns" ip addr add 10.77.0.1/24 dev tap0
ip netns exec "$ns" ip link set tap0 up
boot_start=$SECONDS
ip netns exec "$ns" qemu-system-x86_64 -machine pc,accel=tcg -m 768 -display none \
  -drive "file=$T/deb.raw,format=raw,if=virtio,snapshot=on" \
  -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
  -device "virtio-net-pci,netdev=n0,mac=$mac" \
  -serial "file:$T/console.log" -monitor none -pidfile "$T/qemu.pid" >"$T/qemu.out" 2>&1 &
cleanup_add "kill $!"
wait_for 900 grep -qsaE "uch-debian login:|Reached target .*multi-user.target" "$T/console.log" ||
  die "the guest did not come up: $(tail -c 2000 "$T/console.log") $(cat "$T/qemu.out")"
grep -qaE "ens192: renamed from (eth0|ens[0-9]+|enp[0-9a-z]+)" "$T/console.log" ||
  die "the NIC was not named ens192: $(grep -a renamed "$T/console.log")"
# networkd sets the address once it runs: up to 5 minutes more under
# load.  An ICMP echo by tests/cloud/ping.py (this machine has no
# ping(8)), each waiting 2 s for its answer.
answers() { ip netns exec "$ns" /usr/bin/python3 "$UCH_TOP/tests/cloud/ping.py" "$addr"; }
deadline=$((SECONDS + 300))
until answers; do
  [ $SECONDS -lt $deadline ] ||
    die "no answer at $addr ($((SECONDS - boot_start)) s after boot): $(ip netns exec "$ns" ip neigh show dev tap0); $(grep -a -i 'ens\|network' "$T/console.log" | tail -5)"
  sleep 0.5
done
ip netns exec "$ns" ip neigh show "$addr" dev tap0 | grep -q "lladdr $mac" ||
  die "$addr answered from another MAC: $(ip netns exec "$ns" ip neigh show dev tap0)"
pass "the guest names its NIC ens192 and answers at $addr from $mac ($((SECONDS - boot_start)) s after boot)"
