#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# output.block: the phony Windows guest converted by a convert job onto
# a block device given as an attached volume (a loop device with a by-id
# name, as uchd finds Cinder volumes): virt-v2v writes through the job's
# NAME-sda link, the device then holds the converted guest (viostor.sys
# from VIRTIO_WIN), the result names the device and a domain XML that
# points at it.  The same job carries a LUKS key file and the appliance
# memory: the key never shows on a command line, in state, logs or API
# responses, and the memory reaches libguestfs.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require losetup
require jq
[ "$(id -u)" = 0 ] || skip "needs root for loop devices"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
export VIRTIO_WIN=$T/guest/virtio-win

VOL_ID=5e1f0c2a-$$-4d3e-9f00-b10cdev1ce00
VOL_ID=${VOL_ID:0:36}
truncate -s 640M "$T/vol.img"
dev=$(losetup -f --show "$T/vol.img") || skip "no loop device here"
cleanup_add "losetup -d $dev"
mkdir "$T/by-id"
ln -s "$dev" "$T/by-id/virtio-${VOL_ID:0:20}"

key="uch-luks-$$-$RANDOM-never-shown"
( umask 077; printf '%s' "$key" >"$T/luks.key" )
uchd_start --volume-by-id-dir "$T/by-id"

cat >"$T/win.json" <<JSON
{"type": "convert", "id": "winblk", "name": "win10",
 "input": {"disk": {"path": "$T/guest/windows.img", "format": "qcow2"}},
 "output": {"block": {"devices": [{"volume": "$VOL_ID"}]}},
 "options": {"luks_keys": [{"device": "/dev/sdb1", "key_file": "$T/luks.key"}],
             "memsize_mib": 1280}}
JSON
api POST /v1/jobs "$T/win.json" >"$T/responses.log"
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
: >"$T/ps.log"
for _ in $(seq 1200); do
  ps -eo args >>"$T/ps.log"
  st=$(api GET /v1/jobs/winblk | tee -a "$T/responses.log" | jq -r .state)
  case $st in succeeded|failed|cancelled) break ;; esac
  sleep 0.5
done
api GET /v1/jobs/winblk >"$T/job.json"
[ "$st" = succeeded ] || die "winblk ended $st: $(jq -c '{error,phase}' "$T/job.json"); log: $(tail -20 "$T/state/jobs/winblk/job.log")"
pass "phony Windows converted onto volume $VOL_ID ($dev)"

grep -q -- "-o local -os $T/run/jobs/winblk/block -of raw" "$T/ps.log" ||
  die "virt-v2v never seen writing into the job's link directory"
grep -q -- "--key /dev/sdb1:file:$T/run/jobs/winblk/secrets/options.luks_keys.0.key_file" "$T/ps.log" ||
  die "virt-v2v did not get the LUKS key as the job's secret file"
grep -q "LIBGUESTFS_MEMSIZE=1280" "$T/state/jobs/winblk/job.log" ||
  die "appliance memory not set: $(grep -i memsize "$T/state/jobs/winblk/job.log")"
pass "virt-v2v ran -o local into the links, key as a secret file, LIBGUESTFS_MEMSIZE=1280"

jq -e --arg d "$dev" --arg v "$VOL_ID" \
  '.result.disks == [{"path": $d, "volume": $v}]' "$T/job.json" >/dev/null ||
  die "result disks: $(jq -c .result.disks "$T/job.json")"
xml=$(jq -r .result.metadata "$T/job.json")
[ "$xml" = "$T/state/jobs/winblk/win10.xml" ] || die "result metadata: $xml"
grep -q "<source dev='$dev'/>\|<source file='$dev'/>" "$xml" ||
  die "domain XML does not point at $dev: $(grep -A2 '<disk' "$xml")"
! grep -q "/block/win10-sd" "$xml" || die "domain XML still names the link"
pass "result: $dev (volume $VOL_ID), $xml pointing at the device"

drivers=$(guestfish --ro --format=raw -a "$dev" -i ls /Windows/System32/Drivers)
grep -qx viostor.sys <<<"$drivers" || die "no viostor.sys on $dev: $drivers"
pass "$dev holds the converted guest with viostor.sys"

api GET /v1/jobs >>"$T/responses.log"
secret_nowhere "the LUKS key" "$key" "$T/ps.log" "$T/responses.log" \
  "$T/state/jobs/winblk/state.json" "$T/state/jobs/winblk/job.log" \
  "$T/state/jobs/winblk/request.json" "$T/uchd.log"
[ ! -e "$T/run/jobs/winblk" ] || die "runtime dir (secrets, links) left"
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "the LUKS key is in no command line, file or response; nothing left"
