#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=180
# A copy from a network source (nbd://, read by uch-job's own libnbd
# with no nbdkit in between) under a bandwidth limit: its progress
# moves, a cancel ends it "cancelled" within seconds with nothing of the
# job left running, and the same request submitted again resumes from
# its checkpoint and verifies the copy (read back from the network
# source), equal.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((256 * MIB)) 128
port=$(free_port)
nbdkit_serve_tcp src "$port" "$T/src.img"
uchd_start

printf '{"type": "copy", "id": "net", "verify": true, "limits": {"bandwidth": "48M"}, "disks": [{"source": {"nbd": "nbd://127.0.0.1:%s/"}, "destination": {"path": "%s"}}]}\n' \
  "$port" "$T/dst.img" >"$T/net.json"
api POST /v1/jobs "$T/net.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
done_at_least() { [ "$(job_field net .progress.bytes_done)" -ge "$1" ]; }
wait_for 60 done_at_least $((32 * MIB)) || die "no progress: $(api GET /v1/jobs/net)"
pass "progress: $(( $(job_field net .progress.bytes_done) / MIB )) MiB done"

worker=$(job_field net .worker.pid)
api POST /v1/jobs/net/cancel >/dev/null
case $(status) in 200|202) ;; *) die "cancel: $(status) $(cat "$T/body")" ;; esac
st=$(job_wait net 15)
[ "$st" = cancelled ] || die "the cancelled copy ended $st: $(job_field net .error)"
wait_for 10 sh -c "! kill -0 $worker 2>/dev/null" || die "worker $worker still alive"
left() { worker_leftovers | grep -v -e "-P $T/src.pid " || true; }
[ -z "$(left)" ] || die "left running: $(left)"
! grep -q nbdkit "$T/state/jobs/net/job.log" ||
  die "read through nbdkit: $(grep nbdkit "$T/state/jobs/net/job.log" | head -3)"
pass "cancelled within 15 s, nothing left, no nbdkit in between"

api POST /v1/jobs "$T/net.json" >/dev/null
[ "$(status)" = 202 ] || die "resubmit: $(status) $(cat "$T/body")"
st=$(job_wait net 120)
[ "$st" = succeeded ] || die "the second run ended $st: $(job_field net .error)"
cmp "$T/src.img" "$T/dst.img" || die "the copy differs"
from=$(job_field net '.result.disks[0].resumed_from')
[ "${from:-0}" != null ] && [ "${from:-0}" -gt 0 ] || die "did not resume: $(job_field net .result)"
[ "$(job_field net '.result.disks[0].verified')" = true ] || die "not verified: $(job_field net .result)"
pass "resubmitted: resumed at offset $from, verified, equal"
