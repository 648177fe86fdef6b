#!/usr/bin/env bash
# A copy's "limits": {"bandwidth"} holds it to that rate, and PATCH
# /v1/jobs/{id} changes the rate while it runs: the measured rate follows
# (nbdkit's rate filter re-reads its rate-file).  Bad PATCH bodies, a
# PATCH of an export and of an ended job are refused.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((128 * MIB)) 128      # all data
uchd_start

cat >"$T/bw.json" <<JSON
{"type": "copy", "id": "bw", "limits": {"bandwidth": "16M"},
 "disks": [{"source": {"path": "$T/src.img"}, "destination": {"path": "$T/dst.img"}}]}
JSON
api POST /v1/jobs "$T/bw.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
copying() { [ "$(job_field bw .phase)" = copying ]; }
wait_for 30 copying || die "never copying: $(job_field bw .error)"
wait_for 10 test -e "$T/dst.img" || die "no destination"
# what has reached the destination (nbdcopy's own progress moves in
# 128 MiB work chunks, too coarse to time a rate by)
done_bytes() { echo $(( $(stat -c %b "$T/dst.img") * 512 )); }

sleep 3                                   # past the rate filter's burst
b0=$(done_bytes); sleep 4; b1=$(done_bytes)
slow=$(( (b1 - b0) / 4 ))
# 16 Mbit/s is 2 MB/s
[ "$slow" -gt 0 ] && [ "$slow" -le $((3 * 1000 * 1000)) ] ||
  die "at 16M: $slow bytes/s"
pass "at 16M: $slow bytes/s"

patch() { # ID BODY
  printf '%s\n' "$2" >"$T/patch.json"
  curl -s -o "$T/body" -w '%{http_code}' -X PATCH --unix-socket "$UCH_SOCK" \
    -H 'Content-Type: application/json' --data-binary "@$T/patch.json" \
    "http://uch/v1/jobs/$1" >"$T/status"
}
patch bw '{"limits": {"bandwidth": "fast"}}'
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = limits.bandwidth ] ||
  die "bad bandwidth: $(status) $(cat "$T/body")"
patch bw '{"limits": {"bandwidth": "200M"}, "other": 1}'
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = other ] ||
  die "unknown field: $(status) $(cat "$T/body")"
patch bw '{"limits": {"bandwidth": "200M"}}'
[ "$(status)" = 200 ] || die "PATCH: $(status) $(cat "$T/body")"
jq -e '.limits.bandwidth == "200M"' "$T/body" >/dev/null || die "PATCH answer: $(cat "$T/body")"

sleep 1
b2=$(done_bytes); sleep 2; b3=$(done_bytes)
fast=$(( (b3 - b2) / 2 ))
[ "$fast" -ge $((slow * 3)) ] || die "after PATCH to 200M: $fast bytes/s (was $slow)"
pass "after PATCH to 200M: $fast bytes/s"

st=$(job_wait bw 120)
[ "$st" = succeeded ] || die "bw ended $st: $(job_field bw .error)"
cmp "$T/src.img" "$T/dst.img" || die "copy differs"
pass "the copy is equal"

patch bw '{"limits": {"bandwidth": "10M"}}'
[ "$(status)" = 409 ] || die "PATCH of an ended job: $(status) $(cat "$T/body")"
patch nosuch '{"limits": {"bandwidth": "10M"}}'
[ "$(status)" = 404 ] || die "PATCH of no job: $(status)"
pass "an ended job: 409, no job: 404"
