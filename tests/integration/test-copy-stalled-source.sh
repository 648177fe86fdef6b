#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A source that stops answering mid-copy (its nbdkit stopped with
# SIGSTOP: the connection stays up, nothing comes back, as with a link
# dropping every packet) ends the job after uchd's stall_timeout (3 s
# here, --stall-timeout) with code timeout and a message naming the stall, not never.
# Once the source answers again (a new server), the same request resumes from the
# checkpoint and the copy equals the source.  And a source whose every
# read is delayed for an hour by nbdkit's delay filter ends the same way.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((128 * MIB)) 48
uchd_start --stall-timeout 3
nbdkit_serve src "$T/src.img" --filter=rate -- rate=16M
printf '{"type": "copy", "id": "st1", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$NBD_URI" "$T/dst.img" >"$T/st1.json"
api POST /v1/jobs "$T/st1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
done_at_least() { [ "$(job_field "$1" .progress.bytes_done)" -ge "$2" ]; }
wait_for 60 done_at_least st1 $((4 * MIB)) || die "st1 made no progress"
kill -STOP "$(cat "$T/src.pid")"
[ "$(job_wait st1 60)" = failed ] ||
  die "a stalled source did not end the job: $(job_field st1 '{state,phase}')"
api GET /v1/jobs/st1 >"$T/st1.out"
jq -e '.error.code == "timeout" and
       (.error.message | contains("the source stalled: nothing arrived from it for 3 s"))' \
  "$T/st1.out" >/dev/null || die "st1: $(jq -c .error "$T/st1.out")"
pass "stalled: $(jq -r .error.message "$T/st1.out")"

# the source back: a fresh server on the same socket (the stopped one
# would first serve, at its rate, the reads the failed run abandoned)
nbdkit_reserve src "$T/src.img"
api POST /v1/jobs "$T/st1.json" >/dev/null
[ "$(status)" = 202 ] || die "resubmit: $(status) $(cat "$T/body")"
[ "$(job_wait st1 120)" = succeeded ] || die "st1 again: $(job_field st1 .error)"
cmp "$T/src.img" "$T/dst.img" || die "the copy differs"
from=$(job_field st1 '.result.disks[0].resumed_from // 0')
[ "$from" -gt 0 ] || die "the resubmit did not resume"
pass "once the source answers, the resubmit resumes at $from and the copy is equal"

nbdkit_serve slow "$T/src.img" --filter=delay -- rdelay=3600
printf '{"type": "copy", "id": "st2", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$NBD_URI" "$T/dst2.img" >"$T/st2.json"
api POST /v1/jobs "$T/st2.json" >/dev/null
[ "$(status)" = 201 ] || die "submit st2: $(status) $(cat "$T/body")"
[ "$(job_wait st2 60)" = failed ] || die "st2 did not end"
[ "$(job_field st2 .error.code)" = timeout ] || die "st2: $(job_field st2 .error)"
pass "every read delayed an hour (delay filter): timeout after 3 s"
