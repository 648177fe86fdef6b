#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Warm migration by passes: a full copy, then passes that copy only what
# changed on the source since, onto the same destination:
# - from a qemu dirty bitmap over NBD (qemu-nbd -B, meta context
#   qemu:dirty-bitmap:NAME): only the changed bytes are read, a range
#   written as zeroes is zeroed without being read;
# - from a changed-extent list in the request (what CBT gives).
# After each pass the destination equals the source byte for byte.
source "$UCH_TOP/tests/lib/functions.sh"
require qemu-img
require qemu-nbd
require qemu-io
require nbdcopy
require jq

MIB=$((1024 * 1024))
KIB=1024
bitmap_nbd_source
src=$SRC_URI
uchd_start

copy() { # ID [CHANGES-JSON]
  local changes=${2:+, \"changes\": $2}
  printf '{"type": "copy", "id": "%s", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}%s}]}\n' \
    "$1" "$src" "$T/dst.img" "$changes" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
  st=$(job_wait "$1" 60)
  [ "$st" = succeeded ] || die "$1 ended $st: $(job_field "$1" .error)"
}
same() { # what a user checks: the source, read whole, equals the copy
  nbdcopy "$src" "$T/now.img"
  cmp "$T/now.img" "$T/dst.img" || die "$1: the destination differs from the source"
}

copy full
same "full copy"
pass "pass 1: full copy, equal"

qemu-io -f raw -c "write -P 0x55 $((1 * MIB)) $((256 * KIB))" \
  -c "write -P 0x66 $((40 * MIB)) $((512 * KIB))" -c "write -z $((33 * MIB)) $((1 * MIB))" \
  "$src" >/dev/null
copy bitmap '{"bitmap": "b0"}'
same "bitmap pass"
p=$(job_field bitmap '.result.disks[0].pass')
read=$(jq -r .bytes_read <<<"$p"); changed=$(jq -r .changed_bytes <<<"$p")
zeroed=$(jq -r .bytes_zeroed <<<"$p")
data=$(( 768 * KIB ))
[ "$changed" -ge $(( data + MIB )) ] || die "bitmap pass: changed $changed"
[ "$read" -le $(( data * 105 / 100 )) ] || die "bitmap pass read $read bytes for $data changed"
[ "$zeroed" -ge "$MIB" ] || die "the zeroed MiB was not zeroed: $p"
pass "pass 2 (dirty bitmap b0): read $read bytes for $data changed, zeroed $zeroed, equal"

qemu-io -f raw -c "write -P 0x77 $((50 * MIB)) $((128 * KIB))" "$src" >/dev/null
copy list "{\"extents\": [[$((50 * MIB)), $((128 * KIB))]]}"
same "extent-list pass"
read=$(job_field list '.result.disks[0].pass.bytes_read')
[ "$read" -eq $(( 128 * KIB )) ] || die "list pass read $read"
pass "pass 3 (extent list): read $read bytes, equal"

# a bitmap the source does not have
copy_fails() {
  printf '{"type": "copy", "id": "nob", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}, "changes": {"bitmap": "nosuch"}}]}\n' \
    "$src" "$T/dst.img" >"$T/nob.json"
  api POST /v1/jobs "$T/nob.json" >/dev/null
  [ "$(job_wait nob 60)" = failed ] || die "a missing bitmap did not fail"
}
copy_fails
job_field nob .error.message | grep -q "qemu:dirty-bitmap:nosuch" ||
  die "missing bitmap: $(job_field nob .error.message)"
pass "a bitmap the source lacks: $(job_field nob .error.message)"
