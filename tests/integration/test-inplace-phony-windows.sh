#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copy, then convert in place, through the API: the phony Windows guest
# (tests/guests/make-windows.sh) copied by a copy job to a raw disk, then
# an inplace job on that disk succeeds and leaves viostor.sys from
# VIRTIO_WIN in it, reporting the guest and the disk.  An inplace job on
# a blank disk (run alongside) fails with virt-v2v-in-place's own error
# line and leaves that disk byte for byte as it was; neither job leaves
# an overlay or a process behind.  A third one, cancelled while
# virt-v2v-in-place inspects, ends cancelled with its disk untouched.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require jq
require qemu-img
# Nested KVM here aborts qemu; TCG always works (and is what CI has).
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
export VIRTIO_WIN=$T/guest/virtio-win
# windows.img is a qcow2 over the cached raw image: copy that raw image.
cached=$(qemu-img info --output=json "$T/guest/windows.img" | jq -r '."full-backing-filename" // ."backing-filename"')
[ -f "$cached" ] || die "no raw image behind windows.img: $cached"
uchd_start

t0=$SECONDS
cat >"$T/copy.json" <<JSON
{"type": "copy", "id": "cp",
 "disks": [{"source": {"path": "$cached"}, "destination": {"path": "$T/win.raw"}}]}
JSON
api POST /v1/jobs "$T/copy.json" >/dev/null
[ "$(status)" = 201 ] || die "copy submit: $(status) $(cat "$T/body")"
[ "$(job_wait cp 120)" = succeeded ] || die "copy: $(api GET /v1/jobs/cp)"
cmp "$cached" "$T/win.raw" || die "the copy differs from the guest"
pass "guest copied to a raw disk by a copy job ($((SECONDS - t0)) s)"

truncate -s 100M "$T/blank.raw"
head -c 1M /dev/urandom | dd of="$T/blank.raw" bs=1M seek=10 conv=notrunc status=none
blank_sum=$(sha256sum <"$T/blank.raw")

inplace() { # ID DISK
  cat >"$T/$1.json" <<JSON
{"type": "inplace", "id": "$1", "name": "$1", "memory_mib": 2048, "vcpus": 2,
 "disks": [{"path": "$2", "format": "raw"}],
 "macs": [{"mac": "52:54:00:12:34:56", "network": "vmnet"}]}
JSON
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}
cp --sparse=always "$cached" "$T/cancel.raw"
cancel_sum=$(sha256sum <"$T/cancel.raw")

t0=$SECONDS
inplace win "$T/win.raw"
inplace blank "$T/blank.raw"
inplace cancelme "$T/cancel.raw"

# The conversion goes through an overlay, never the disk itself.
overlay_seen() { ls "$T/state/jobs/win/scratch/"overlay-0.qcow2 >/dev/null 2>&1; }
wait_for 60 overlay_seen || die "no overlay in the job's scratch dir"
v2v_running() { pgrep -af virt-v2v-in-place | grep -q "$T/run/jobs/win/domain.xml"; }
wait_for 30 v2v_running || die "virt-v2v-in-place not running on the job's domain XML"
grep -q "overlay-0.qcow2" "$T/run/jobs/win/domain.xml" || die "domain XML does not name the overlay"

st=$(job_wait blank 400)
api GET /v1/jobs/blank >"$T/blank-job.json"
[ "$st" = failed ] || die "blank disk job ended $st: $(jq -c . "$T/blank-job.json")"
msg=$(jq -r .error.message "$T/blank-job.json")
[ "$msg" = "virt-v2v-in-place: inspection could not detect the source guest (or physical machine)." ] ||
  die "error.message: $msg; log: $(tail -20 "$T/state/jobs/blank/job.log")"
[ "$(jq -r .error.code "$T/blank-job.json")" = convert_failed ] || die "code: $(jq -c .error "$T/blank-job.json")"
[ "$(sha256sum <"$T/blank.raw")" = "$blank_sum" ] || die "the failed job changed the disk"
[ ! -e "$T/run/jobs/blank" ] || die "runtime dir left: $(ls "$T/run/jobs/blank")"
[ ! -e "$T/state/jobs/blank/scratch" ] || die "scratch dir (overlays) left: $(ls "$T/state/jobs/blank/scratch")"
pass "blank disk: failed with \"$msg\", disk byte-identical ($((SECONDS - t0)) s)"

# Two slots here: cancelme starts when blank has ended.
inspecting() { [ "$(job_field cancelme .phase)" = inspecting ]; }
wait_for 300 inspecting || die "cancelme never inspecting: $(api GET /v1/jobs/cancelme)"
api POST /v1/jobs/cancelme/cancel >/dev/null
case $(status) in 200|202) ;; *) die "cancel: $(status) $(cat "$T/body")" ;; esac
st=$(job_wait cancelme 60)
[ "$st" = cancelled ] || die "cancelled job ended $st"
[ "$(sha256sum <"$T/cancel.raw")" = "$cancel_sum" ] || die "the cancelled job changed the disk"
[ ! -e "$T/run/jobs/cancelme" ] && [ ! -e "$T/state/jobs/cancelme/scratch" ] ||
  die "runtime or scratch dir (overlays) left after cancel"
pass "cancelled while inspecting: disk byte-identical, overlays gone"

st=$(job_wait win 500)
api GET /v1/jobs/win >"$T/win-job.json"
[ "$st" = succeeded ] || die "inplace ended $st: $(jq -c '{error,phase}' "$T/win-job.json"); log: $(tail -20 "$T/state/jobs/win/job.log")"
jq -e --arg d "$T/win.raw" '.result.disks == [{"path": $d, "format": "raw"}]' "$T/win-job.json" >/dev/null ||
  die "result.disks: $(jq -c .result.disks "$T/win-job.json")"
jq -e '.result.guest.product_name | startswith("Windows 10 Pro")' "$T/win-job.json" >/dev/null ||
  die "result.guest: $(jq -c .result.guest "$T/win-job.json")"
jq -e '.result.warnings | any(test("Guest Agent"))' "$T/win-job.json" >/dev/null ||
  die "warnings: $(jq -c .result.warnings "$T/win-job.json")"
for phase in "preparing overlays" inspecting converting committing; do
  grep -q "phase $phase" "$T/state/jobs/win/job.log" || die "never in phase $phase"
done
pass "inplace succeeded ($((SECONDS - t0)) s): $(jq -c .result.guest "$T/win-job.json")"

drivers=$(guestfish --ro --format=raw -a "$T/win.raw" -i ls /Windows/System32/Drivers)
grep -qx viostor.sys <<<"$drivers" || die "no viostor.sys in the disk: $drivers"
! cmp -s "$cached" "$T/win.raw" || die "the disk is unchanged"
pass "the copied disk itself now holds viostor.sys"

[ ! -e "$T/run/jobs/win" ] && [ ! -e "$T/state/jobs/win/scratch" ] ||
  die "runtime or scratch dir (overlays) left"
! pgrep -f -- "(virt-v2v|qemu-system|qemu-img|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "no overlay, no process left"
