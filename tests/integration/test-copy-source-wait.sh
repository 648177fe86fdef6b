#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=180
# A copy whose nbd source does not serve yet (a wave's batch hands a
# destination its copies in the same round as the source its exports):
# with source_wait_s the copy tries its own connections again until the
# source serves.  Nobody on the port when it starts, nbdkit listening a
# second or so later: the copy succeeds, equal, says after how long and
# how many attempts, and the server saw the copy's 4 connections only
# (no connection of its own to wait on first, which was one more
# handshake a copy).  Nobody ever: it fails after source_wait_s, code
# source, naming the URI, the attempts and why (refused).  Without source_wait_s a
# source that does not serve fails at once.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/disk.img" $((64 * MIB)) 16
port=$(free_port)
uchd_start

copy_json() { # ID WAIT_S
  printf '{"type":"copy","id":"%s","source_wait_s":%s,"disks":[{"source":{"nbd":"nbd://127.0.0.1:%s/"},"destination":{"path":"%s"}}]}\n' \
    "$1" "$2" "$port" "$T/$1.img"
}

# the copy first, nobody listening
copy_json late 60 >"$T/late.json"
api POST /v1/jobs "$T/late.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
# it tries: the first refusal in its log
tries_seen() { grep -q "Connection refused" "$T/state/jobs/late/job.log" 2>/dev/null; }
wait_for 30 tries_seen || die "the copy never tried its source: $(job_field late .state) $(job_field late .error)"
[ "$(job_field late .state)" = running ] || die "the copy ended before its source served: $(job_field late .error)"
# then the source, each connection it takes logged
nbdkit_serve_tcp src "$port" "$T/disk.img" --filter=log -- "logfile=$T/connections.log"
st=$(job_wait late 120)
[ "$st" = succeeded ] || die "late: $st: $(job_field late .error)"
cmp "$T/disk.img" "$T/late.img" || die "late: the copy differs"
grep -qE "disk 1: the source served after [0-9.]+ s \([0-9]+ attempts\)" "$T/state/jobs/late/job.log" ||
  die "late: the log does not say it waited: $(cat "$T/state/jobs/late/job.log")"
grep -q "disk 1: 4 of 4 connections connected at once, the source measured on the first" \
  "$T/state/jobs/late/job.log" || die "late: not its 4 connections at once: $(cat "$T/state/jobs/late/job.log")"
n=$(grep -c " Connect " "$T/connections.log" || true)
[ "$n" = 4 ] || die "late: the source saw $n connections, not the copy's 4: $(cat "$T/connections.log")"
pass "source served after the copy began: $(grep -oE 'the source served after [^)]*\)' "$T/state/jobs/late/job.log"), equal, 4 connections at the source"

# nobody ever: source_wait_s, then the error
kill "$(cat "$T/src.pid")"
wait_for 10 sh -c "! kill -0 $(cat "$T/src.pid") 2>/dev/null" || die "nbdkit did not end"
copy_json never 2 >"$T/never.json"
api POST /v1/jobs "$T/never.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
st=$(job_wait never 60)
[ "$st" = failed ] || die "never: $st"
api GET /v1/jobs/never >"$T/never-job.json"
jq -e --arg u "nbd://127.0.0.1:$port/" '.error.code == "source" and
  (.error.message | startswith("disks[0].source: " + $u + " did not serve within 2 s (source_wait_s; ")
   and contains(" attempts); the last one: ") and contains("refused"))' "$T/never-job.json" >/dev/null ||
  die "never: $(jq -c .error "$T/never-job.json")"
pass "nobody serving: failed: $(jq -r .error.message "$T/never-job.json")"

# without source_wait_s: at once
copy_json now 0 >"$T/now.json"
api POST /v1/jobs "$T/now.json" >/dev/null
st=$(job_wait now 60)
[ "$st" = failed ] || die "now: $st"
! grep -q "the source served after" "$T/state/jobs/now/job.log" || die "now: it waited"
[ "$(job_field now .error.code)" = source ] || die "now: $(job_field now .error)"
pass "without source_wait_s: failed at once, code source"

[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
pass "nothing left running"
