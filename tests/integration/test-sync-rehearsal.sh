#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A conversion rehearsal during a warm migration (issue 19 items 1, 2):
# a sync job of the phony Windows guest with "inplace" and "rehearse"
# rehearses virt-v2v-in-place after pass 1 on throw-away overlays over
# the destination, while the source still "runs": it succeeds, names the
# guest and the virtio drivers, and the destination is not written
# (its checksum still the source's).  A sync pass asked for during
# that rehearsal starts and ends while it runs, writing through the
# snapshot it reads (qemu-storage-daemon's copy-before-write): the
# destination equals the source after the pass while the snapshot
# still shows the old data.  Then the source is broken (its
# NTFS boot sector zeroed) and a sync pass asks for a rehearsal: it
# fails, saying why in the job, which keeps waiting; the prediction
# reckons the cutover from the passes and the good rehearsal's time.
# The source mended, a third rehearsal is stopped by the cutover asked
# for while it runs; the cutover converts for real and result.cutover
# sets what it took beside what was predicted.
# uch-test: slow
# uch-test: timeout=1500
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require jq
require qemu-img
require sha256sum
require qemu-storage-daemon
require qemu-io
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
export VIRTIO_WIN=$T/guest/virtio-win
# the source VM's disk, still "running": raw, so the test can write to it
qemu-img convert -O raw "$T/guest/windows.img" "$T/src.raw"
uchd_start

sum() { sha256sum "$1" | cut -d' ' -f1; }
log() { tail -25 "$T/state/jobs/warm/job.log"; }

cat >"$T/sync.json" <<JSON
{"type": "sync", "id": "warm", "rehearse": true,
 "disks": [{"source": {"path": "$T/src.raw"}, "destination": {"path": "$T/dst.raw"}}],
 "inplace": {"name": "win10", "memory_mib": 2048, "vcpus": 2}}
JSON
api POST /v1/jobs "$T/sync.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
rehearsed() {  # N: the job waits after its Nth rehearsal
  api GET /v1/jobs/warm >"$T/job.json"
  jq -e --argjson n "$1" '.state == "running" and .phase == "waiting" and
    (.result.rehearsals | length) == $n' "$T/job.json" >/dev/null ||
    { case $(jq -r .state "$T/job.json") in
        succeeded|failed|cancelled)
          die "the job ended: $(jq -c '{state,error}' "$T/job.json"); $(log)" ;;
      esac; false; }     # queued or running: not yet
}

# the guest writes the disk's last 64 KiB (past its partition) while
# rehearsal 1 runs; a sync pass brings that over at once
tail_off=$(( $(stat -c %s "$T/src.raw") - (64 << 10) ))
snap="nbd+unix:///s0?socket=$T/run/jobs/warm/snapshot.sock"
rehearsing1() {
  api GET /v1/jobs/warm >"$T/job.json"
  jq -e '(.result.rehearsals | length) == 1 and .result.rehearsals[0].state == null' \
    "$T/job.json" >/dev/null
}
wait_for 600 rehearsing1 || die "rehearsal 1 never started: $(jq -c '{phase,result}' "$T/job.json")"
head -c $((64 << 10)) /dev/zero | tr '\0' '\253' |
  dd of="$T/src.raw" bs=64K seek=$((tail_off >> 16)) conv=notrunc status=none
printf '{"disks": [{"changed_extents": [[%d, %d]]}]}\n' "$tail_off" $((64 << 10)) >"$T/during.json"
api POST /v1/jobs/warm/sync "$T/during.json" >/dev/null
[ "$(status)" = 202 ] || die "pass during the rehearsal: $(status) $(cat "$T/body")"
pass2_done() {
  api GET /v1/jobs/warm >"$T/job.json"
  jq -e '(.result.passes | length) == 2' "$T/job.json" >/dev/null
}
wait_for 600 pass2_done || die "pass 2 never ran: $(jq -c '{phase,result}' "$T/job.json"); $(log)"
# read while the rehearsal still runs: the snapshot it reads
snap_old=$(qemu-io -r -f raw "$snap" -c "read -P 0 $tail_off 65536" 2>&1) ||
  die "the snapshot could not be read: $snap_old"
jq -e '.result.rehearsals[0].state == null and
  .result.passes[1].started_at >= .result.rehearsals[0].started_at' "$T/job.json" >/dev/null ||
  die "pass 2 did not run during rehearsal 1: $(jq -c '{passes: [.result.passes[] | {started_at, seconds}], rehearsals: .result.rehearsals}' "$T/job.json")"
[ "$(sum "$T/dst.raw")" = "$(sum "$T/src.raw")" ] ||
  die "pass 2 (during the rehearsal) did not bring the destination up to the source"
! grep -q "failed" <<<"$snap_old" ||
  die "the rehearsal's snapshot changed under the pass: $snap_old"
grep -q "a pass during the rehearsal" "$T/state/jobs/warm/job.log" ||
  die "the job never said the pass ran during the rehearsal: $(log)"
during_s=$(jq -r '.result.passes[1].seconds' "$T/job.json")
pass "pass 2 ran during rehearsal 1 ($during_s s): destination = source, the snapshot still the old data"

wait_for 900 rehearsed 1 || die "no rehearsal after pass 1: $(jq -c '{phase,result}' "$T/job.json")"
jq -e '.result.rehearsals[0] | .state == "succeeded" and .after_pass == 1 and
  .seconds > 0 and (.guest.product_name | test("Windows")) and
  .virtio_drivers == true and (.warnings | type) == "array"' "$T/job.json" >/dev/null ||
  die "rehearsal 1: $(jq -c '.result.rehearsals[0]' "$T/job.json")"
pass "rehearsal after pass 1: $(jq -r '.result.rehearsals[0].guest.product_name' "$T/job.json"), virtio drivers, $(jq -r '.result.rehearsals[0].seconds' "$T/job.json") s"
# pass 1 made the destination the source (which has not changed since):
# the destination is still exactly that, so the rehearsal wrote nothing
[ "$(sum "$T/dst.raw")" = "$(sum "$T/src.raw")" ] ||
  die "the destination changed during the rehearsal"
grep -q "running: [^ ]*virt-v2v-in-place " "$T/state/jobs/warm/job.log" ||
  die "virt-v2v-in-place never ran: $(log)"
[ -z "$(find "$T/state/jobs/warm" -name 'overlay-*.qcow2' -o -name 'snapshot-*')" ] ||
  die "the rehearsal's overlays or snapshot were left"
[ ! -e "$T/run/jobs/warm/snapshot.sock" ] || die "the snapshot's socket was left"
! pgrep -f -- "qemu-storage-daemon.*$T/" >/dev/null || die "qemu-storage-daemon left running"
jq -e '.result.prediction as $p | $p.after_pass == 2 and
  $p.conversion_seconds == .result.rehearsals[0].seconds' \
  "$T/job.json" >/dev/null || die "prediction after rehearsal 1: $(jq -c .result.prediction "$T/job.json")"
pass "destination unchanged (sha256 = the source's), overlays, snapshot and its daemon gone"

# a rehearsal that fails: the NTFS partition (at 1 MiB) loses its boot
# sector on the source, a sync pass brings that over and rehearses
cp "$T/src.raw" "$T/src.good"
dd if=/dev/zero of="$T/src.raw" bs=64K seek=16 count=1 conv=notrunc status=none
printf '{"rehearse": true, "disks": [{"changed_extents": [[%d, %d]]}]}\n' $((1 << 20)) $((64 << 10)) >"$T/pass2.json"
printf '{"rehearse": true, "disks": [{"changed_extents": []}]}\n' >"$T/cut-bad.json"
api POST /v1/jobs/warm/cutover "$T/cut-bad.json" >/dev/null
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = rehearse ] ||
  die "a cutover that rehearses: $(status) $(cat "$T/body")"
UCH_SOCKET=$UCH_SOCK "$UCH_BUILD/uchctl" sync warm "$T/pass2.json" --rehearse >/dev/null ||
  die "uchctl sync --rehearse refused"
wait_for 900 rehearsed 2 || die "no rehearsal after pass 2: $(jq -c '{phase,result}' "$T/job.json")"
jq -e '.result.rehearsals[1] | .state == "failed" and .after_pass == 3 and
  .error.code == "convert_failed" and (.error.message | test("virt-v2v-in-place: .*inspection"))' \
  "$T/job.json" >/dev/null || die "rehearsal 2: $(jq -c '.result.rehearsals[1]' "$T/job.json")"
[ "$(sum "$T/dst.raw")" = "$(sum "$T/src.raw")" ] ||
  die "the destination changed during the failed rehearsal"
alone_s=$(jq -r '.result.passes[2].seconds' "$T/job.json")
pass "pass 3 (64 KiB, alone) took $alone_s s against pass 2's $during_s s (64 KiB, during a rehearsal)"
pass "a broken guest's rehearsal fails, saying why: $(jq -r '.result.rehearsals[1].error.message' "$T/job.json" | head -c 120); the job waits on, destination unchanged"

jq -e '.result.prediction as $p | .result.rehearsals[0].seconds as $c |
  $p.after_pass == 3 and $p.cutover_seconds > $p.copy_seconds and
  $p.conversion_seconds == $c and $p.bytes >= 0 and
  ($p.how | test("rehearsal"))' "$T/job.json" >/dev/null ||
  die "prediction: $(jq -c .result.prediction "$T/job.json")"
pass "predicted cutover $(jq -r .result.prediction.cutover_seconds "$T/job.json") s: $(jq -r .result.prediction.how "$T/job.json")"

# mended: a sync pass brings the boot sector back and rehearses again;
# while that rehearsal runs the cutover is asked for: the rehearsal
# stops (the downtime does not wait for it) and the cutover converts
cp "$T/src.good" "$T/src.raw"
printf '{"rehearse": true, "disks": [{"changed_extents": [[%d, %d]]}]}\n' $((1 << 20)) $((64 << 10)) >"$T/pass3.json"
api POST /v1/jobs/warm/sync "$T/pass3.json" >/dev/null
[ "$(status)" = 202 ] || die "pass 3: $(status) $(cat "$T/body")"
rehearsing3() {
  api GET /v1/jobs/warm >"$T/job.json"
  jq -e '(.result.rehearsals | length) == 3 and .result.rehearsals[2].state == null' \
    "$T/job.json" >/dev/null
}
wait_for 600 rehearsing3 || die "rehearsal 3 never started: $(jq -c '{phase,result}' "$T/job.json")"
printf '{"disks": [{"changed_extents": []}]}\n' >"$T/cut.json"
api POST /v1/jobs/warm/cutover "$T/cut.json" >/dev/null
[ "$(status)" = 202 ] || die "cutover: $(status) $(cat "$T/body")"
st=$(job_wait warm 900)
api GET /v1/jobs/warm >"$T/job.json"
[ "$st" = succeeded ] || die "ended $st: $(jq -c '{error,phase}' "$T/job.json"); $(log)"
jq -e '.result.rehearsals[2] | .state == "stopped" and .error.code == "stopped" and
  (.error.message | test("cutover"))' "$T/job.json" >/dev/null ||
  die "rehearsal 3: $(jq -c '.result.rehearsals[2]' "$T/job.json")"
pass "a cutover asked for during a rehearsal stops it: $(jq -r '.result.rehearsals[2].error.message' "$T/job.json")"
jq -e '.result.cutover.seconds > 0 and .result.cutover.predicted_seconds ==
  .result.prediction.cutover_seconds and .result.prediction.after_pass == 4 and
  .result.inplace.virtio_drivers == true and
  ([.result.inplace.warnings[] | select(test("inspection"))] | length) == 0' \
  "$T/job.json" >/dev/null || die "result: $(jq -c '{cutover,inplace,prediction}' "$T/job.json")"
drivers=$(guestfish --ro -a "$T/dst.raw" -i ls /Windows/System32/Drivers)
grep -qx viostor.sys <<<"$drivers" || die "no viostor.sys in the destination: $drivers"
pass "cutover converted: $(jq -r .result.cutover.seconds "$T/job.json") s against $(jq -r .result.cutover.predicted_seconds "$T/job.json") s predicted"
[ ! -e "$T/state/jobs/warm/scratch" ] || die "the scratch dir (overlays) was left"
! pgrep -f -- "(virt-v2v|qemu-system|qemu-storage-daemon|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ -z "$(find "$T/state" "$T/run" -name 'snapshot*')" ] || die "a snapshot file was left"
pass "no overlay, no process left"
