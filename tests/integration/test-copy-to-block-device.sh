#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A raw destination that is a block device (a loop device here, attached
# as a volume: a by-id name, so the confinement policy lets a request
# name it by its path): a source that fits is copied onto it; one larger
# than the device fails before anything is written, naming both sizes.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require losetup
require jq
[ "$(id -u)" = 0 ] || skip "needs root for a loop device"

truncate -s 8M "$T/backing.img"
dev=$(losetup -f --show "$T/backing.img" 2>/dev/null) || skip "no loop device here"
cleanup_add "losetup -d $dev"
make_sparse_image "$T/small.img" $((4 * 1024 * 1024)) 2
make_sparse_image "$T/big.img" $((16 * 1024 * 1024)) 2
mkdir "$T/by-id"
ln -s "$dev" "$T/by-id/virtio-copyblockdev1"
uchd_start --volume-by-id-dir "$T/by-id"

submit() { # ID SOURCE
  cat >"$T/$1.json" <<JSON
{"type": "copy", "id": "$1", "disks": [
  {"source": {"path": "$2"}, "destination": {"path": "$dev"}}]}
JSON
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}

submit fits "$T/small.img"
st=$(job_wait fits 60)
[ "$st" = succeeded ] || die "fits ended $st: $(api GET /v1/jobs/fits | jq -c .error)"
cmp -n $((4 * 1024 * 1024)) "$T/small.img" "$dev" || die "device content differs"
pass "copied onto $dev"

submit big "$T/big.img"
st=$(job_wait big 60)
api GET /v1/jobs/big >"$T/big-end.json"
[ "$st" = failed ] || die "big ended $st"
jq -e --arg d "$dev" '.error.message == "disks[0].destination: \($d): the device holds 8388608 bytes, the source needs 16777216"' \
  "$T/big-end.json" >/dev/null || die "error: $(jq -c .error "$T/big-end.json")"
pass "too small: $(jq -r .error.message "$T/big-end.json")"
