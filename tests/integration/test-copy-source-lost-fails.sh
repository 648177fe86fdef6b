#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The source server dying mid-copy fails the job with libnbd's words for
# it (the raw copy is the worker's own, transfer/resumable.c), and the
# worker's tools are all gone afterwards.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require jq

make_sparse_image "$T/src.img" $((256 * 1024 * 1024)) 32
nbdkit_serve slow "$T/src.img" --filter=rate -- rate=16M
uchd_start

cat >"$T/req.json" <<JSON
{"type": "copy", "id": "lost", "disks": [
  {"source": {"nbd": "$NBD_URI"}, "destination": {"path": "$T/dst.img"}}]}
JSON
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
copying() { [ "$(job_field lost .phase)" = copying ]; }
wait_for 30 copying || die "never copying"
sleep 1
kill -KILL "$(cat "$T/slow.pid")"
st=$(job_wait lost 60)
api GET /v1/jobs/lost >"$T/job.json"
[ "$st" = failed ] || die "job ended $st"
jq -e '.error.code == "source" and (.error.message | startswith("disks[0]: reading the source")) and (.error.message | contains("(source "))' \
  "$T/job.json" >/dev/null || die "error: $(jq -c .error "$T/job.json")"
msg=$(jq -r .error.message "$T/job.json")
grep -qF -- "failed: $msg" "$T/state/jobs/lost/job.log" ||
  die "the message is not in job.log"
pass "failed: $msg"
no_leftovers() { [ -z "$(worker_leftovers)" ]; }
wait_for 10 no_leftovers || die "left running: $(worker_leftovers)"
pass "nothing left running"
