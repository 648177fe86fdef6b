#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A source that answers reads but hangs on block status (nbdkit's delay
# filter, delay-extents an hour): a copy asks its source first which
# parts hold data, and that wait is bounded too.  The job ends after
# uchd's stall_timeout (3 s here) with code timeout and a message naming
# the stall, directly and through the worker's own nbdkit (an nbd://
# source); the source fixed, the same request runs to an equal copy; a
# cancel while the block status hangs ends the job at once.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((64 * MIB)) 8
uchd_start --stall-timeout 3

nbdkit_serve hang "$T/src.img" --filter=delay -- delay-extents=3600
copy_nbd bs1 "$NBD_URI"
[ "$(job_wait bs1 90)" = failed ] ||
  die "a source hanging on block status did not end the job: $(job_field bs1 '{state,phase}')"
api GET /v1/jobs/bs1 >"$T/bs1.out"
jq -e --arg u "$NBD_URI" '.error.code == "timeout" and
       (.error.message | startswith("disks[0].source: the source stalled: no answer to block status")) and
       (.error.message | contains("for 3 s (stall_timeout) from " + $u))' "$T/bs1.out" >/dev/null ||
  die "bs1: $(jq -c .error "$T/bs1.out")"
pass "hung block status: $(jq -r .error.message "$T/bs1.out")"

# over TCP, a network source the worker's libnbd reads directly
port=$(free_port)
nbdkit_serve_tcp tcp "$port" "$T/src.img" --filter=delay -- delay-extents=3600
copy_nbd bs2 "nbd://127.0.0.1:$port/"
[ "$(job_wait bs2 90)" = failed ] || die "bs2 did not end: $(job_field bs2 '{state,phase}')"
api GET /v1/jobs/bs2 >"$T/bs2.out"
jq -e --arg u "nbd://127.0.0.1:$port/" '.error.code == "timeout" and
       (.error.message | contains("no answer to block status")) and
       (.error.message | contains("from " + $u))' "$T/bs2.out" >/dev/null ||
  die "bs2: $(jq -c .error "$T/bs2.out")"
pass "through nbdkit's nbd plugin too: $(jq -r .error.message "$T/bs2.out")"
kill "$(cat "$T/tcp.pid")"

# the source fixed: the same request runs to an equal copy
nbdkit_reserve hang "$T/src.img"
copy_nbd bs1 "$NBD_URI"
[ "$(job_wait bs1 120)" = succeeded ] || die "bs1 again: $(job_field bs1 .error)"
cmp "$T/src.img" "$T/bs1.img" || die "the copy differs"
pass "once the source answers, the resubmit copies it equal"

# a cancel while the block status hangs ends the job at once (before,
# the worker read no signal until the answer came); a uchd with a long
# stall_timeout, so that only the cancel can end it
unset UCH_PORT
uchd_restart --stall-timeout 600
nbdkit_serve hang2 "$T/src.img" -v --filter=delay -- delay-extents=3600
copy_nbd bs3 "$NBD_URI"
wait_for 60 grep -q "delay: extents" "$T/nbdkit-hang2.log" ||
  die "bs3 never asked for block status: $(job_field bs3 '{state,phase,error}')"
api POST /v1/jobs/bs3/cancel >/dev/null
[ "$(job_wait bs3 60)" = cancelled ] || die "bs3: $(job_field bs3 '{state,error}')"
pass "a cancel ends a copy whose source hangs on block status"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
