#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 test guest (tests/guests/make-debian.sh) converted by
# a convert job through the API with -i disk into a local qcow2: the job
# follows virt-v2v's phases, succeeds, reports the guest, the converted
# disk and the domain XML; the converted disk's initramfs holds the
# virtio drivers (virt-v2v rebuilt it), and the converted guest boots
# under qemu from a virtio disk.  The guest is set up as on VMware, a
# static address on ens192 (issue 17 item 1), and the request maps its
# NIC's MAC to that address (options.macs[].ip): the job keeps the NIC's
# name after virt-v2v (a udev rule in the converted disk, not in the
# initramfs virt-v2v rebuilt before it), result.nics says so, and the
# guest booted on a tap with that MAC names its NIC ens192 and answers
# at its address.  ~10 min without KVM on a busy machine (keeping the
# name is one more libguestfs appliance launch, under a minute).
# uch-test: slow
# uch-test: timeout=1800
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require lsinitramfs
require qemu-system-x86_64
require debugfs
require jq
mac=52:54:00:77:00:06
addr=10.77.0.6
# Nested KVM here aborts qemu; TCG always works (and is what CI has).
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

base=$("$UCH_TOP/tests/guests/make-debian.sh" raw) || {
  rc=$?; [ $rc = 77 ] && skip "cannot build the Debian guest here"; die "make-debian.sh failed ($rc)"; }
cp --sparse=always "$base" "$T/deb.raw"
debian_static_ens192 "$T/deb.raw" "$addr"
mkdir -p "$T/out"
uchd_start

cat >"$T/deb.json" <<JSON
{"type": "convert", "id": "deb", "name": "deb12",
 "input": {"disk": {"path": "$T/deb.raw", "format": "raw"}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}},
 "options": {"macs": [{"mac": "$mac", "ip": {"address": "$addr", "gateway": "10.77.0.1", "prefix": 24}}]}}
JSON
start=$(date +%s)
job_succeeds deb "$T/deb.json" 1200
pass "Debian 12 converted through the API in $(( $(date +%s) - start )) s"

v2v_phases_followed deb
pass "phases followed, disk 1/1 at 100 %"

debian_converted deb12
pass "result: guest $(jq -c .result.guest "$T/job.json"), $disk (qcow2), $xml"

jq -e --arg mac "$mac" --arg addr "$addr" '.result.nics == [
  {"mac": $mac, "address": $addr, "config": "/etc/systemd/network/10-static.network",
   "name": "ens192", "pinned": true}]' "$T/job.json" >/dev/null ||
  die "result.nics: $(jq -c '.result.nics' "$T/job.json")"
grep -q "keeping NIC names" "$T/state/jobs/deb/job.log" ||
  die "no phase keeping NIC names in the log"
pass "result: ens192 kept for $mac ($addr), after virt-v2v"

initramfs_has_virtio "$disk"
if grep -q "70-uch-net-names.rules" "$T/initrd.list"; then
  pass "the initramfs holds the NIC's rule"
else
  pass "the initramfs lacks the NIC's rule (the real root's udev names the NIC)"
fi
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ ! -e "$T/run/jobs/deb" ] || die "runtime dir left"

# The proof: it boots from a virtio disk, names its NIC as on VMware
# and answers at its address.
debian_answers_on_tap "$disk" qcow2 "$mac" "$addr"
grep -q " vda: vda1" "$T/console.log" ||
  die "the kernel never saw its disk as virtio vda: $(grep -a -m5 -i 'sd\|vd' "$T/console.log")"
pass "the converted guest booted from a virtio disk"
