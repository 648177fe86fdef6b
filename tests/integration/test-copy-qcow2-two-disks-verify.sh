#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One job, two disks, "verify": true: a path source into a new qcow2
# image (qemu-img compare says identical) and an NBD source into a raw
# file marked is_zero; each disk's result records verified: true.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require qemu-img
require qemu-nbd
require jq

make_sparse_image "$T/a.img" $((256 * 1024 * 1024)) 32
make_sparse_image "$T/b.img" $((128 * 1024 * 1024)) 16
nbdkit_serve b "$T/b.img"
truncate -s 0 "$T/b-copy.img"
uchd_start

cat >"$T/req.json" <<JSON
{"type": "copy", "id": "two", "verify": true, "disks": [
  {"source": {"path": "$T/a.img"},
   "destination": {"path": "$T/a.qcow2", "format": "qcow2"}},
  {"source": {"nbd": "$NBD_URI"},
   "destination": {"path": "$T/b-copy.img", "is_zero": true}}]}
JSON
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
st=$(job_wait two 120)
api GET /v1/jobs/two >"$T/job.json"
[ "$st" = succeeded ] || die "job $st: $(jq -c .error "$T/job.json")"
pass "job succeeded"

[ "$(qemu-img info --output=json "$T/a.qcow2" | jq -r .format)" = qcow2 ] ||
  die "a.qcow2 is not qcow2"
qemu-img compare -f raw -F qcow2 "$T/a.img" "$T/a.qcow2" ||
  die "qcow2 copy differs"
pass "qcow2 destination: qemu-img compare identical"
cmp "$T/b.img" "$T/b-copy.img" || die "raw copy differs"
pass "second disk copied"

jq -e '(.result.disks | length) == 2 and
  .result.disks[0].format == "qcow2" and .result.disks[0].verified == true and
  .result.disks[1].format == "raw" and .result.disks[1].verified == true and
  .disks[0].percent == 100 and .disks[1].percent == 100 and
  .progress.percent == 100 and
  .progress.bytes_total == (.disks[0].bytes_total + .disks[1].bytes_total)' \
  "$T/job.json" >/dev/null || die "result: $(jq -c '.result, .progress' "$T/job.json")"
pass "both disks verified, progress aggregated"

grep -q "running nbdcopy --flush --progress=3 'nbd+unix.*dst0.sock'" \
  "$T/state/jobs/two/job.log" || die "job.log: $(cat "$T/state/jobs/two/job.log")"
grep -q "disk 2: copying from offset 0 over .*, the destination is zero" \
  "$T/state/jobs/two/job.log" || die "is_zero not taken: $(cat "$T/state/jobs/two/job.log")"
grep -q "running qemu-img create -f qcow2 $T/a.qcow2 268435456" \
  "$T/state/jobs/two/job.log" || die "qemu-img create not logged"
pass "job.log has the command lines"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
