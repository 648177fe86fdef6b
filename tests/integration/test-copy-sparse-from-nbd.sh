#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A 2 GiB sparse image holding 256 MiB of random data, copied through
# uchd from an NBD source: the copy is byte-for-byte equal and still
# sparse, progress ends at 100% and bytes_total counts the data only.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require jq

make_sparse_image "$T/src.img" $((2 * 1024 * 1024 * 1024)) 256
nbdkit_serve src "$T/src.img"
uchd_start

cat >"$T/req.json" <<JSON
{"type": "copy", "id": "sparse",
 "disks": [{"source": {"nbd": "$NBD_URI"}, "destination": {"path": "$T/dst.img"}}]}
JSON
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
start=$(date +%s)
st=$(job_wait sparse 120)
secs=$(( $(date +%s) - start ))
api GET /v1/jobs/sparse >"$T/job.json"
[ "$st" = succeeded ] || die "job $st: $(jq -c .error "$T/job.json")"
pass "job succeeded in ${secs}s"

cmp "$T/src.img" "$T/dst.img" || die "the copy differs"
pass "byte-for-byte equal"

used_mib=$(( $(du -k "$T/dst.img" | cut -f1) / 1024 ))
[ "$used_mib" -lt 300 ] || die "destination uses $used_mib MiB: not sparse"
pass "destination still sparse ($used_mib MiB used)"

mib=$((1024 * 1024))
jq -e --argjson lo $((256 * mib)) --argjson hi $((260 * mib)) '
  .progress.percent == 100 and
  .progress.bytes_total >= $lo and .progress.bytes_total <= $hi and
  .progress.bytes_done == .progress.bytes_total and
  .disks[0].percent == 100 and
  .disks[0].bytes_total == .progress.bytes_total' "$T/job.json" >/dev/null ||
  die "progress: $(jq -c '.progress, .disks[0]' "$T/job.json")"
pass "percent 100, bytes_total $(jq .progress.bytes_total "$T/job.json") (the data only)"

jq -e --arg p "$T/dst.img" '
  .result.disks[0].path == $p and .result.disks[0].format == "raw" and
  .result.disks[0].bytes_copied == .progress.bytes_total and
  (.result.disks[0].seconds | type == "number") and
  .error == null and .phase == "succeeded" and .started_at and .finished_at' \
  "$T/job.json" >/dev/null || die "result: $(jq -c .result "$T/job.json")"
pass "result names the copy"

[ ! -e "$T/run/jobs/sparse" ] || die "runtime dir left behind"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
pass "runtime dir removed, nothing left running"
