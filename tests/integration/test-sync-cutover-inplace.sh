#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A warm migration that ends converted: a sync job with "inplace" copies
# the phony Windows guest (pass 1), a pass with a changed-extent list
# brings over what was written to the source since, and POST /cutover
# runs the last pass and then virt-v2v-in-place on the destination.
# The job succeeds with its passes and result.inplace; the destination
# holds the source's change and viostor.sys from VIRTIO_WIN.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require jq
require qemu-img
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
export VIRTIO_WIN=$T/guest/virtio-win
# the source VM's disk, still "running": raw, so the test can write to it
qemu-img convert -O raw "$T/guest/windows.img" "$T/src.raw"
uchd_start

cat >"$T/sync.json" <<JSON
{"type": "sync", "id": "warm",
 "disks": [{"source": {"path": "$T/src.raw"}, "destination": {"path": "$T/dst.raw"}}],
 "inplace": {"name": "win10", "memory_mib": 2048, "vcpus": 2,
             "macs": [{"mac": "52:54:00:12:34:56", "network": "vmnet"}]}}
JSON
api POST /v1/jobs "$T/sync.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
waiting() { [ "$(job_field warm .phase)" = waiting ]; }
wait_for 120 waiting || die "pass 1 never ended: $(job_field warm '{state,phase,error}')"
pass "pass 1 copied the guest"

# the source changes: 64 KiB at 512 KiB, in the gap before the NTFS
# partition (which starts at 1 MiB), so the guest stays inspectable
head -c 64K /dev/urandom >"$T/change"
dd if="$T/change" of="$T/src.raw" bs=64K seek=8 conv=notrunc status=none
printf '{"disks": [{"changed_extents": [[%d, %d]]}]}\n' $((512 << 10)) $((64 << 10)) >"$T/cut.json"
api POST /v1/jobs/warm/cutover "$T/cut.json" >/dev/null
[ "$(status)" = 202 ] || die "cutover: $(status) $(cat "$T/body")"
st=$(job_wait warm 600)
api GET /v1/jobs/warm >"$T/job.json"
[ "$st" = succeeded ] || die "ended $st: $(jq -c '{error,phase}' "$T/job.json"); log: $(tail -20 "$T/state/jobs/warm/job.log")"
jq -e '(.result.passes | length) == 2 and .result.passes[1].trigger == "cutover"' \
  "$T/job.json" >/dev/null || die "passes: $(jq -c .result.passes "$T/job.json")"
cmp -s <(dd if="$T/dst.raw" bs=64K skip=8 count=1 status=none) "$T/change" ||
  die "the cutover pass did not bring the change over"
pass "cutover: pass 2 brought the change over"

jq -e --arg p "$T/dst.raw" '.result.inplace.disks[0].path == $p and
  (.result.inplace.warnings | type) == "array"' "$T/job.json" >/dev/null ||
  die "result.inplace: $(jq -c .result.inplace "$T/job.json")"
grep -q "running: [^ ]*virt-v2v-in-place " "$T/state/jobs/warm/job.log" ||
  die "virt-v2v-in-place never ran: $(grep -i "running" "$T/state/jobs/warm/job.log")"
drivers=$(guestfish --ro -a "$T/dst.raw" -i ls /Windows/System32/Drivers)
grep -qx viostor.sys <<<"$drivers" || die "no viostor.sys in the destination: $drivers"
pass "then converted in place: viostor.sys on the destination, result.inplace"
[ ! -e "$T/state/jobs/warm/scratch" ] || die "the scratch dir (overlays) was left"
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "no overlay, no process left"
