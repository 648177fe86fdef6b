#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 test guest (tests/guests/make-debian.sh) converted by
# a convert job through the API with -i disk into a local qcow2: the job
# follows virt-v2v's phases, succeeds, reports the guest, the converted
# disk and the domain XML; the converted disk's initramfs holds the
# virtio drivers (virt-v2v rebuilt it), and the converted guest boots
# under qemu from a virtio disk to its login prompt.  ~6 min without
# KVM.
# uch-test: slow
# uch-test: timeout=1800
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require lsinitramfs
require qemu-system-x86_64
require jq
# Nested KVM here aborts qemu; TCG always works (and is what CI has).
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

debian_overlay qcow2
mkdir -p "$T/out"
uchd_start

cat >"$T/deb.json" <<JSON
{"type": "convert", "id": "deb", "name": "deb12",
 "input": {"disk": {"path": "$T/debian.qcow2", "format": "qcow2"}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}}}
JSON
start=$(date +%s)
job_succeeds deb "$T/deb.json" 1200
pass "Debian 12 converted through the API in $(( $(date +%s) - start )) s"

v2v_phases_followed deb
pass "phases followed, disk 1/1 at 100 %"

debian_converted deb12
pass "result: guest $(jq -c .result.guest "$T/job.json"), $disk (qcow2), $xml"

initramfs_has_virtio "$disk"
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ ! -e "$T/run/jobs/deb" ] || die "runtime dir left"

# The proof: it boots from a virtio disk.
debian_boots "$disk"
