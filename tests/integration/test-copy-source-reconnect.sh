#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=400
# A source across a network that goes away mid-copy and comes back: the
# copy reads nbd://127.0.0.1:PORT/ with its own libnbd connections, no
# nbdkit in between.  The server is killed (its connections die with
# it, which a cut of the link does not do: TCP outlives a short cut)
# while the job copies, and started again on the same port: each
# connection connects again after 1 s (doubling, as UCH's reconnect
# filter did), the chunk it was reading is read again, and the copy
# succeeds, equal, its log saying it reconnected.  A server that stays
# away fails the copy after the retries, naming the source as the
# request gave it.  No nbdkit filter is needed: a uch-job without
# UCH's filters beside it copies a network source.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/disk.img" $((64 * MIB)) 64     # all data
port=$(free_port)

# serve [DELAY...]: nbdkit on 127.0.0.1:$port, its pid in $T/src.pid
# and $src; DELAY: the delay filter's parameters (delay-read=300ms),
# which log each request first (-v)
serve() {
  local delay=()
  [ $# = 0 ] || delay=(-v --filter=delay)
  nbdkit_serve_tcp src "$port" "$T/disk.img" "${delay[@]}" -- "$@"
  src=$NBDKIT_PID
}
serve
uchd_start

# request ID [FIELDS]: $T/ID.json, a copy of the source into $T/ID.img
# with the request's other FIELDS (',"verify":true'); submit ID
# [FIELDS]: that request posted to uchd
request() {
  printf '{"type":"copy","id":"%s"%s,"disks":[{"source":{"nbd":"nbd://127.0.0.1:%s/"},"destination":{"path":"%s"}}]}\n' \
    "$1" "${2:-}" "$port" "$T/$1.img" >"$T/$1.json"
}
submit() {
  request "$@"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}

# held to 32 Mbit/s: 64 MiB take about 17 s
submit cut ',"limits":{"bandwidth":"32M"}'
# under_way ID: 2 MiB of the copy on its destination already, or the
# job ended (queued, just submitted, is neither).  Not its progress: a
# disk's bytes_done is what a checkpoint made durable, which at this
# rate first moves after seconds, in steps of 8 MiB
under_way() {
  api GET "/v1/jobs/$1" >/dev/null
  case $(jq -r .state "$T/body") in
    queued) return 1 ;;
    running) [ $(( $(stat -c %b "$T/$1.img" 2>/dev/null || echo 0) * 512 )) -ge $((2 * MIB)) ] ;;
  esac
}
wait_for 60 under_way cut || die "the copy never got under way: $(job_field cut .error)"
[ "$(jq -r .state "$T/body")" = running ] || die "the copy ended $(jq -r .state "$T/body") before the test cut it"
done_at_kill=$(jq -r .progress.bytes_done "$T/body")
kill -KILL "$(cat "$T/src.pid")"
# gone, its listening socket with it, before another binds the port:
# kill returns before the kernel has ended the process
wait "$src" 2>/dev/null || true
serve
st=$(job_wait cut 120)
[ "$st" = succeeded ] || die "after the source came back the copy ended $st: $(job_field cut .error)"
cmp "$T/disk.img" "$T/cut.img" || die "the copy after the reconnect differs"
grep -q "the source failed and was connected to again" "$T/state/jobs/cut/job.log" ||
  die "the job log does not say it reconnected: $(tail -5 "$T/state/jobs/cut/job.log")"
! grep -q "nbdkit" "$T/state/jobs/cut/job.log" ||
  die "the network source was read through nbdkit: $(grep nbdkit "$T/state/jobs/cut/job.log" | head -3)"
pass "source killed at $((done_at_kill / MIB)) MiB and served again: succeeded, equal, reconnected, no nbdkit"
# the job's own tools, not the test's server
left() { worker_leftovers | grep -v -e "-P $T/src.pid " || true; }
[ -z "$(left)" ] || die "left running: $(left)"
pass "nothing left running"

# the server killed while the copy measures the source (its block
# status held 2 s by the delay filter): measured again on a new
# connection, then copied
kill_server() {
  kill -KILL "$(cat "$T/src.pid")"
  wait "$src" 2>/dev/null || true
}
kill_server
serve delay-extents=2
extents_asked() { grep -q "delay: extents" "$T/nbdkit-src.log"; }
submit measure
wait_for 60 extents_asked || die "the copy never asked for block status: $(job_field measure .error)"
kill_server
: >"$T/nbdkit-src.log"
serve delay-extents=2
st=$(job_wait measure 120)
[ "$st" = succeeded ] || die "a source killed during block status: the copy ended $st: $(job_field measure .error)"
cmp "$T/disk.img" "$T/measure.img" || die "the copy measured again differs"
grep -q "disk 1: block status failed: .*; connecting again" "$T/state/jobs/measure/job.log" ||
  die "the job log does not say block status was asked again: $(tail -5 "$T/state/jobs/measure/job.log")"
pass "a source killed during block status: measured again on a new connection, copied, equal"

# the server killed while the copy is verified (each 4 MiB read held
# 300 ms; the copy's many reads in flight wait together): the read is
# made again on a new connection and the copy is verified equal
kill_server
serve delay-read=300ms
submit verify ',"verify":true'
verifying() {
  api GET /v1/jobs/verify >/dev/null
  case $(jq -r .phase "$T/body") in
    verifying) return 0 ;;
    succeeded|failed|cancelled) die "the copy ended $(jq -r .phase "$T/body") before the test cut its verify: $(jq -c .error "$T/body")" ;;
  esac
  return 1
}
wait_for 120 verifying || die "the copy never verified: $(job_field verify '{phase,error}')"
kill_server
serve delay-read=300ms
st=$(job_wait verify 120)
[ "$st" = succeeded ] || die "a source killed during verify: the copy ended $st: $(job_field verify .error)"
[ "$(job_field verify '.result.disks[0].verified')" = true ] ||
  die "not verified: $(job_field verify .result)"
grep -q "disk 1: verify: reading the source at [0-9]*: .*; connecting again" "$T/state/jobs/verify/job.log" ||
  die "the job log does not say verify read again: $(tail -5 "$T/state/jobs/verify/job.log")"
pass "a source killed during verify: read again on a new connection, verified equal"
kill_server
serve

# the filters missing: a uch-job copied without them beside it reads
# a network source all the same
mkdir -p "$T/bin"
cp "$UCH_BUILD/uch-job" "$T/bin/uch-job"
request nofilter
"$T/bin/uch-job" run --state-dir "$T/state-nf" --runtime-dir "$T/run-nf" \
  "$T/nofilter.json" >"$T/nofilter.out" 2>&1 ||
  die "a copy without UCH's filters beside uch-job failed: $(tail -3 "$T/nofilter.out")"
cmp "$T/disk.img" "$T/nofilter.img" || die "the copy without the filters differs"
pass "no filter beside uch-job: a network source is copied all the same"

# a server that stays away: the retries (1+2+4+8+16 s), then a failure
# naming the request's source
submit gone ',"limits":{"bandwidth":"32M"}'
wait_for 60 under_way gone || die "gone never got under way: $(job_field gone .error)"
[ "$(jq -r .state "$T/body")" = running ] || die "gone ended $(jq -r .state "$T/body") before the test cut it"
kill -KILL "$(cat "$T/src.pid")"
wait "$src" 2>/dev/null || true
st=$(job_wait gone 120)
[ "$st" = failed ] || die "with the source gone for good the copy ended $st"
err=$(job_field gone .error.message)
case $err in
  *"after 5 reconnects"*"nbd://127.0.0.1:$port/"*) ;;
  *) die "the failure does not say the retries and the source: $err" ;;
esac
pass "a source gone for good: failed after the retries: $err"
