#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An OVA as VMware exports it (OVF + streamOptimized VMDK + SHA256
# manifest; tests/guests/make-ova.sh) converted by a convert job with
# input "ova": the job succeeds, the guest takes its name, memory and
# vCPUs from the OVF, the disk is converted.  The phony Windows guest
# rather than the Debian one keeps this to a few minutes of CI; the
# Debian guest's conversion is test-convert-debian-guest.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require qemu-img
require jq
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
"$UCH_TOP/tests/guests/make-ova.sh" "$T/guest/windows.img" win10-ova \
  windows9_64Guest 103 "$T/win10.ova" || die "make-ova.sh failed"
tar -tf "$T/win10.ova" | sort | tr '\n' ' ' | grep -qx "win10-ova-disk1.vmdk win10-ova.mf win10-ova.ovf " ||
  die "the OVA holds: $(tar -tf "$T/win10.ova")"
export VIRTIO_WIN=$T/guest/virtio-win
mkdir -p "$T/out"
uchd_start

cat >"$T/ova.json" <<JSON
{"type": "convert", "id": "ova",
 "input": {"ova": {"path": "$T/win10.ova"}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}}}
JSON
job_succeeds ova "$T/ova.json" 800
grep -q "running: [^ ]*virt-v2v .*-i ova $T/win10.ova" "$T/state/jobs/ova/job.log" ||
  die "not run with -i ova: $(grep running: "$T/state/jobs/ova/job.log")"
pass "the OVA converted through the API (virt-v2v -i ova)"

disk=$(jq -r '.result.disks[0].path' "$T/job.json")
xml=$(jq -r '.result.metadata' "$T/job.json")
[ "$disk" = "$T/out/win10-ova-sda" ] || die "result disk (named from the OVF): $disk"
qemu-img info --output=json "$disk" | jq -e '.format == "qcow2"' >/dev/null || die "not qcow2"
grep -q "<name>win10-ova</name>" "$xml" || die "name not from the OVF: $(cat "$xml")"
grep -Eq "<memory unit='KiB'>1048576</memory>" "$xml" || die "memory not from the OVF: $(grep -i memory "$xml")"
grep -q "<vcpu[^>]*>1</vcpu>" "$xml" || die "vCPUs not from the OVF: $(grep -i vcpu "$xml")"
grep -q "bus='virtio'" "$xml" || die "no virtio disk in the domain XML"
pass "result: $disk, $xml: name, 1 GiB and 1 vCPU from the OVF, a virtio disk"
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ ! -e "$T/run/jobs/ova" ] || die "runtime dir left"
