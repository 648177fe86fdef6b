#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A phony Windows 10 guest (tests/guests/make-windows.sh) converted by a
# convert job through the API: the job follows virt-v2v's phases to
# "copying" and 100 %, succeeds, reports the converted disk, the domain
# XML and virt-v2v's warnings, and the converted disk really holds the
# virtio drivers from the VIRTIO_WIN folder.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require jq
# Nested KVM here aborts qemu; TCG always works (and is what CI has).
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
export VIRTIO_WIN=$T/guest/virtio-win
mkdir -p "$T/out"
uchd_start

cat >"$T/win.json" <<JSON
{"type": "convert", "id": "win", "name": "win10",
 "input": {"disk": {"path": "$T/guest/windows.img", "format": "qcow2"}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}}}
JSON
job_succeeds win "$T/win.json" 600
pass "phony Windows converted through the API"

v2v_phases_followed win
pass "phases followed, disk 1/1 at 100 %"

disk=$(jq -r '.result.disks[0].path' "$T/job.json")
xml=$(jq -r '.result.metadata' "$T/job.json")
[ "$disk" = "$T/out/win10-sda" ] || die "result disk: $disk"
[ "$xml" = "$T/out/win10.xml" ] || die "result metadata: $xml"
qemu-img info --output=json "$disk" | jq -e '.format == "qcow2"' >/dev/null || die "not qcow2"
grep -q "<name>win10</name>" "$xml" || die "domain XML: $(cat "$xml")"
grep -q "bus='virtio'" "$xml" || die "no virtio disk in the domain XML"
jq -e '.result.warnings | any(test("Guest Agent"))' "$T/job.json" >/dev/null ||
  die "warnings: $(jq -c .result.warnings "$T/job.json")"
pass "result: $disk (qcow2), $xml with a virtio disk, $(jq '.result.warnings | length' "$T/job.json") warning(s)"

drivers=$(guestfish --ro -a "$disk" -i ls /Windows/System32/Drivers)
grep -qx viostor.sys <<<"$drivers" || die "no viostor.sys in the converted guest: $drivers"
pass "converted disk holds viostor.sys from VIRTIO_WIN"
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ ! -e "$T/run/jobs/win" ] || die "runtime dir left"
[ ! -e "$T/state/jobs/win/scratch" ] || die "scratch dir (virt-v2v temporary files) left"
