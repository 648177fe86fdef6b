#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A copy's "limits": {"bandwidth"} holds it to that rate, and PATCH
# /v1/jobs/{id} changes the rate while it runs: the measured rate follows
# within seconds (nbdkit's rate filter re-reads its rate-file), onto a
# raw destination (uch-job's libnbd copy) and a qcow2 one (nbdcopy);
# and from a network source (nbd://), which uch-job reads without an
# nbdkit in between, pacing its reads itself, onto raw and qcow2, in a
# warm pass (changes), which a PATCH speeds up as well, and in verify.
# Bad PATCH bodies and a PATCH of an ended job are refused.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require jq
require qemu-img

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((128 * MIB)) 128      # all data
uchd_start

patch() { # ID BODY
  printf '%s\n' "$2" >"$T/patch.json"
  curl -s -o "$T/body" -w '%{http_code}' -X PATCH --unix-socket "$UCH_SOCK" \
    -H 'Content-Type: application/json' --data-binary "@$T/patch.json" \
    "http://uch/v1/jobs/$1" >"$T/status"
}

# rate_follows ID DESTINATION-JSON FILE [SOURCE-JSON]: at 16 Mbit/s
# (2 MiB/s) the copy runs at about that, and within a few seconds of a
# PATCH to 200M at many times that.
rate_follows() {
  local id=$1 dst=$2 file=$3 src=${4:-'{"path": "'"$T/src.img"'"}'}
  cat >"$T/$id.json" <<JSON
{"type": "copy", "id": "$id", "limits": {"bandwidth": "16M"},
 "disks": [{"source": $src, "destination": $dst}]}
JSON
  api POST /v1/jobs "$T/$id.json" >/dev/null
  [ "$(status)" = 201 ] || die "$id: submit: $(status) $(cat "$T/body")"
  copying() { [ "$(job_field "$id" .phase)" = copying ]; }
  wait_for 30 copying || die "$id: never copying: $(job_field "$id" .error)"
  wait_for 10 test -e "$file" || die "$id: no destination"
  # what has reached the destination (nbdcopy's own progress moves in
  # 128 MiB work chunks, too coarse to time a rate by)
  done_bytes() { echo $(( $(stat -c %b "$file") * 512 )); }

  sleep 3                                   # past the rate filter's burst
  b0=$(done_bytes); sleep 4; b1=$(done_bytes)
  slow=$(( (b1 - b0) / 4 ))
  [ "$slow" -ge $((1000 * 1000)) ] && [ "$slow" -le $((3 * 1000 * 1000)) ] ||
    die "$id: at 16M: $slow bytes/s, not about 2 MiB/s"
  pass "$id: at 16M: $slow bytes/s"

  patch "$id" '{"limits": {"bandwidth": "200M"}}'
  [ "$(status)" = 200 ] || die "$id: PATCH: $(status) $(cat "$T/body")"
  jq -e '.limits.bandwidth == "200M"' "$T/body" >/dev/null ||
    die "$id: PATCH answer: $(cat "$T/body")"
  sleep 1
  b2=$(done_bytes); sleep 2; b3=$(done_bytes)
  fast=$(( (b3 - b2) / 2 ))
  [ "$fast" -ge $((slow * 4)) ] ||
    die "$id: after PATCH to 200M: $fast bytes/s (was $slow)"
  pass "$id: after PATCH to 200M: $fast bytes/s"

  st=$(job_wait "$id" 120)
  [ "$st" = succeeded ] || die "$id ended $st: $(job_field "$id" .error)"
}

# the raw destination: uch-job's own libnbd copy
rate_follows bw '{"path": "'"$T/dst.img"'"}' "$T/dst.img"
cmp "$T/src.img" "$T/dst.img" || die "copy differs"
pass "the copy is equal"

patch bw '{"limits": {"bandwidth": "fast"}}'
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = limits.bandwidth ] ||
  die "bad bandwidth: $(status) $(cat "$T/body")"
patch bw '{"limits": {"bandwidth": "200M"}, "other": 1}'
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = other ] ||
  die "unknown field: $(status) $(cat "$T/body")"

# a qcow2 destination: nbdcopy
rate_follows bwq '{"path": "'"$T/dst.qcow2"'", "format": "qcow2"}' "$T/dst.qcow2"
qemu-img compare -f raw -F qcow2 "$T/src.img" "$T/dst.qcow2" ||
  die "the qcow2 copy differs"
pass "the qcow2 copy is equal"

# a network source: no nbdkit in between, uch-job paces its reads
nbdkit_serve_tcp net "$(free_port)" "$T/src.img"
net='{"nbd": "'"$NBD_URI"'"}'
rate_follows bwn '{"path": "'"$T/dstn.img"'"}' "$T/dstn.img" "$net"
cmp "$T/src.img" "$T/dstn.img" || die "the copy from the network differs"
! grep -q "nbdkit" "$T/state/jobs/bwn/job.log" ||
  die "bwn: read through nbdkit: $(grep nbdkit "$T/state/jobs/bwn/job.log" | head -3)"
pass "from the network: equal, no nbdkit in between"
rate_follows bwnq '{"path": "'"$T/dstn.qcow2"'", "format": "qcow2"}' "$T/dstn.qcow2" "$net"
qemu-img compare -f raw -F qcow2 "$T/src.img" "$T/dstn.qcow2" ||
  die "the qcow2 copy from the network differs"
pass "from the network into qcow2: equal"

# a warm pass from the network: 8 MiB changed at 16 Mbit/s (2 MiB/s),
# read 1 MiB at a time, the first at once and each next one when the
# last one's time is up: 3.5 s at least (unpaced, a tenth of that); then
# 24 MiB at 1M would take 192 s, and a PATCH to 200M ends it in seconds
dd if=/dev/zero of="$T/dstn.img" bs=1M count=24 conv=notrunc status=none
warm_pass() { # ID BW LENGTH
  cat >"$T/$1.json" <<JSON
{"type": "copy", "id": "$1", "limits": {"bandwidth": "$2"},
 "disks": [{"source": $net, "destination": {"path": "$T/dstn.img"},
            "changes": {"extents": [[0, $3]]}}]}
JSON
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "$1: submit: $(status) $(cat "$T/body")"
}
warm_pass wp1 16M $((8 * MIB))
[ "$(job_wait wp1 60)" = succeeded ] || die "wp1: $(job_field wp1 .error)"
api GET /v1/jobs/wp1 >"$T/wp1.out"
jq -e --argjson n $((8 * MIB)) '.result.disks[0] |
       .bytes_copied == $n and .seconds >= 3.4' "$T/wp1.out" >/dev/null ||
  die "wp1: not held to 2 MiB/s: $(jq -c .result.disks[0] "$T/wp1.out")"
pass "a warm pass at 16M: 8 MiB in $(jq .result.disks[0].seconds "$T/wp1.out") s"
warm_pass wp2 1M $((24 * MIB))
wait_for 30 job_in_phase wp2 copying || die "wp2: never copying: $(job_field wp2 .error)"
patch wp2 '{"limits": {"bandwidth": "200M"}}'
[ "$(status)" = 200 ] || die "wp2: PATCH: $(status) $(cat "$T/body")"
[ "$(job_wait wp2 60)" = succeeded ] ||
  die "wp2: not sped up by the PATCH: $(job_field wp2 '{state,error}')"
cmp "$T/src.img" "$T/dstn.img" || die "the warm passes left the copy unequal"
pass "a warm pass at 1M PATCHed to 200M: done in $(job_field wp2 .result.disks[0].seconds) s, equal"

# verify reads a network source again, at the limit too: 8 extents of
# 1 MiB at 16M take 3.5 s to compare (unpaced, milliseconds)
make_sparse_image "$T/small.img" $((64 * MIB)) 8
nbdkit_serve_tcp small "$(free_port)" "$T/small.img"
cat >"$T/vf.json" <<JSON
{"type": "copy", "id": "vf", "verify": true, "limits": {"bandwidth": "16M"},
 "disks": [{"source": {"nbd": "$NBD_URI"},
            "destination": {"path": "$T/vf.img"}}]}
JSON
api POST /v1/jobs "$T/vf.json" >/dev/null
[ "$(status)" = 201 ] || die "vf: submit: $(status) $(cat "$T/body")"
wait_for 60 job_in_phase vf verifying || die "vf: never verifying: $(job_field vf '{state,error}')"
t0=$(date +%s.%N)
[ "$(job_wait vf 60)" = succeeded ] || die "vf: $(job_field vf .error)"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[ "$(job_field vf .result.disks[0].verified)" = true ] || die "vf: not verified"
awk -v t="$took" 'BEGIN { exit !(t >= 2.5) }' ||
  die "vf: verify read 8 MiB at 16M in $took s: not held to the limit"
pass "verify of a network source at 16M: 8 MiB compared in about $took s"

patch bw '{"limits": {"bandwidth": "10M"}}'
[ "$(status)" = 409 ] || die "PATCH of an ended job: $(status) $(cat "$T/body")"
patch nosuch '{"limits": {"bandwidth": "10M"}}'
[ "$(status)" = 404 ] || die "PATCH of no job: $(status)"
pass "an ended job: 409, no job: 404"
