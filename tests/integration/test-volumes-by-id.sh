#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# {"volume": ID} sources and destinations, found the way an appliance
# finds attached Cinder volumes: here loop devices given by-id names in a
# directory of our own (uchd --volume-by-id-dir), the same code path as
# /dev/disk/by-id.  GET /v1/volumes lists them (by-id names, size, which
# job uses one); a volume still attaching is waited for up to wait_s;
# one never attached fails naming it; a mounted one is never written.
source "$UCH_TOP/tests/lib/functions.sh"
require losetup
require jq
require nbdkit
[ "$(id -u)" = 0 ] || skip "needs root for loop devices"

MIB=$((1024 * 1024))
SRC_ID=3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab
DST_ID=7b7e1a52-1111-4222-8333-444455556666
LATE_ID=c0ffee00-5555-4666-8777-888899990000

loop() { # NAME SIZE: a loop device over $T/NAME.img; prints it
  truncate -s "$2" "$T/$1.img"
  losetup -f --show "$T/$1.img"
}
src=$(loop src $((16 * MIB))) || skip "no loop device here"
cleanup_add "losetup -d $src"
dst=$(loop dst $((16 * MIB))) || skip "no second loop device"
cleanup_add "losetup -d $dst"
late=$(loop late $((16 * MIB))) || skip "no third loop device"
cleanup_add "losetup -d $late"

make_sparse_image "$T/data.img" $((16 * MIB)) 8
dd if="$T/data.img" of="$src" bs=1M conv=sparse,fsync status=none

# virtio-blk keeps 20 characters of the id; virtio-scsi names all of it
mkdir "$T/by-id"
ln -s "$src" "$T/by-id/virtio-${SRC_ID:0:20}"
ln -s "$dst" "$T/by-id/scsi-0QEMU_QEMU_HARDDISK_$DST_ID"
ln -s "$src" "$T/by-id/virtio-${SRC_ID:0:20}-part1"   # never a match
uchd_start --volume-by-id-dir "$T/by-id"

# listing
api GET /v1/volumes >"$T/volumes.json"
[ "$(status)" = 200 ] || die "GET /v1/volumes: $(status) $(cat "$T/volumes.json")"
jq -e --arg d "$src" --arg id "virtio-${SRC_ID:0:20}" --argjson size $((16 * MIB)) \
  '.volumes[] | select(.path == $d) | .size == $size and (.ids | index($id)) != null
   and .mounted == false and .job == null' "$T/volumes.json" >/dev/null ||
  die "volumes: $(jq -c --arg d "$src" '.volumes[] | select(.path == $d)' "$T/volumes.json")"
pass "GET /v1/volumes lists $src with its by-id name and size"

submit() { # ID SOURCE-JSON DEST-JSON
  printf '{"type": "copy", "id": "%s", "disks": [{"source": %s, "destination": %s}]}\n' \
    "$1" "$2" "$3" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}

# volume to volume, by the two kinds of by-id names
submit vv "{\"volume\": \"$SRC_ID\"}" "{\"volume\": \"$DST_ID\"}"
st=$(job_wait vv 60)
[ "$st" = succeeded ] || die "vv ended $st: $(job_field vv .error)"
cmp "$T/data.img" "$dst" || die "destination volume differs from the source"
[ "$(job_field vv '.result.disks[0].path')" = "$dst" ] ||
  die "result path: $(job_field vv .result)"
pass "volume $SRC_ID copied onto volume $DST_ID ($dst)"

# an export of a volume (the source host's side of cloud to cloud)
cat >"$T/exp.json" <<JSON
{"type": "export", "id": "exp", "listen": {"unix": true}, "until": "client-done",
 "disks": [{"source": {"volume": "$SRC_ID"}, "name": "vol"}]}
JSON
api POST /v1/jobs "$T/exp.json" >/dev/null
[ "$(status)" = 201 ] || die "submit export: $(status) $(cat "$T/body")"
export_serving exp
nbdcopy "$(job_field exp '.result.exports[0].uri')" "$T/exported.img" ||
  die "reading the exported volume failed"
cmp "$T/data.img" "$T/exported.img" || die "the exported volume differs"
[ "$(job_wait exp 30)" = succeeded ] || die "export did not end after its client"
pass "volume $SRC_ID exported read-only and read back equal"

# a second job on the same volume while the first is active is refused
nbdkit_serve slow "$T/data.img" --filter=rate -- rate=8M
submit busy "{\"nbd\": \"$NBD_URI\"}" "{\"volume\": \"$DST_ID\"}"
printf '{"type": "copy", "id": "busy2", "disks": [{"source": {"path": "%s"}, "destination": {"volume": "%s"}}]}\n' \
  "$T/data.img" "$DST_ID" >"$T/busy2.json"
api POST /v1/jobs "$T/busy2.json" >/dev/null
[ "$(status)" = 409 ] || die "second writer of $DST_ID: $(status) $(cat "$T/body")"
[ "$(jq -r .error.field "$T/body")" = "disks[0].destination.volume" ] ||
  die "409 field: $(cat "$T/body")"
api GET /v1/volumes | jq -e --arg d "$dst" '.volumes[] | select(.path == $d) | .job == "busy"' \
  >/dev/null || die "volume not shown in use by job busy: $(cat "$T/body")"
api POST /v1/jobs/busy/cancel >/dev/null
[ "$(job_wait busy 30)" = cancelled ] || die "busy did not end cancelled"
pass "a volume in use is shown with its job and refused to a second writer"

# a volume still attaching: waited for
submit late "{\"path\": \"$T/data.img\"}" "{\"volume\": \"$LATE_ID\", \"wait_s\": 30}"
wait_for 10 grep -q "waiting up to 30 s for volume $LATE_ID" "$T/state/jobs/late/job.log" ||
  die "job did not wait: $(cat "$T/state/jobs/late/job.log")"
ln -s "$late" "$T/by-id/virtio-${LATE_ID:0:20}"
st=$(job_wait late 60)
[ "$st" = succeeded ] || die "late ended $st: $(job_field late .error)"
cmp "$T/data.img" "$late" || die "late volume differs"
pass "a volume attached while the job waited is written"

# never attached: fails, naming it
submit missing "{\"path\": \"$T/data.img\"}" '{"volume": "no-such-volume", "wait_s": 1}'
st=$(job_wait missing 30)
[ "$st" = failed ] || die "missing ended $st"
msg=$(job_field missing .error.message)
case $msg in
  "disks[0].destination: volume no-such-volume is not attached (waited 1 s)"*) ;;
  *) die "missing: $msg" ;;
esac
pass "never attached: $msg"

# mounted: never a destination, by volume or by path
if command -v mkfs.ext2 >/dev/null && mkfs.ext2 -q "$late" 2>/dev/null &&
   mkdir "$T/mnt" && mount "$late" "$T/mnt" 2>/dev/null; then
  cleanup_add "umount $T/mnt"
  api GET /v1/volumes | jq -e --arg d "$late" '.volumes[] | select(.path == $d) | .mounted' \
    >/dev/null || die "mounted volume not shown mounted"
  submit onmounted "{\"path\": \"$T/data.img\"}" "{\"volume\": \"$LATE_ID\"}"
  [ "$(job_wait onmounted 30)" = failed ] || die "copy onto a mounted volume did not fail"
  job_field onmounted .error.message | grep -q "is used by the system" ||
    die "onmounted: $(job_field onmounted .error.message)"
  # by path, the confinement policy refuses it at submit already
  printf '{"type": "copy", "id": "onmountedpath", "disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
    "$T/data.img" "$late" >"$T/onmountedpath.json"
  api POST /v1/jobs "$T/onmountedpath.json" >/dev/null
  [ "$(status)" = 403 ] &&
    jq -e '.error.code == "forbidden_path" and .error.field == "disks[0].destination.path"
           and (.error.message | contains("is in use by the system"))' "$T/body" >/dev/null ||
    die "copy onto a mounted device by path: $(status) $(cat "$T/body")"
  mountpoint -q "$T/mnt" && [ -d "$T/mnt/lost+found" ] || die "mounted file system damaged"
  pass "a mounted volume is never a destination: $(job_field onmounted .error.message)"
else
  echo "# mount does not work here: the mounted-destination part is skipped"
fi
