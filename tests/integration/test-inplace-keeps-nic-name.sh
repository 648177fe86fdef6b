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
debian_static_ens192 "$T/deb.raw" "$addr"

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

debugfs -R "cat /etc/udev/rules.d/70-uch-net-names.rules" "$T/deb.raw?offset=$root_offset" 2>/dev/null >"$T/rules"
grep -qx "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"$mac\", NAME=\"ens192\"" "$T/rules" ||
  die "the guest's rule: $(cat "$T/rules")"
initramfs_has_virtio "$T/deb.raw"
grep -q "70-uch-net-names.rules" "$T/initrd.list" ||
  die "the rebuilt initramfs lacks the rule: $(grep rules "$T/initrd.list")"
pass "the rule is in the guest and in the initramfs virt-v2v rebuilt"

debian_answers_on_tap "$T/deb.raw" raw "$mac" "$addr"
