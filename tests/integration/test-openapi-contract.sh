#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=600
# docs/openapi.yaml is uchd's contract, judged by a validator written by
# others: kin-openapi (Debian's golang-github-getkin-kin-openapi-dev,
# tests/openapi/main.go).  The spec passes its checks (lint), then every
# route and every status the spec documents is exercised on a real
# uchd, jobs of each kind queued, running, succeeded, failed, cancelled
# and restarted, and every answer uchd gave validates against the spec
# (and every request it accepted, as a request): 100 %, or the test
# fails naming the answer and why.  Methods and paths the spec does
# not list are answered as its components MethodNotAllowed (405, Allow
# the path's methods) and NoSuchResource (404) say.
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq
rc=0
V=$("$UCH_TOP/tests/openapi/build.sh") || rc=$?
[ $rc = 77 ] && skip "golang-go or golang-github-getkin-kin-openapi-dev missing (make deps)"
[ $rc = 0 ] || die "tests/openapi/build.sh failed ($rc)"
spec=$UCH_TOP/docs/openapi.yaml

"$V" lint "$spec" >"$T/lint.log" || ${UCH_NOLINT:+:} die "the spec: $(cat "$T/lint.log")"
pass "lint: $(tail -1 "$T/lint.log")"

uchd_start --max-jobs 3
TOKEN=$(cat "$UCH_TOKEN_FILE")
X=$T/exchanges.jsonl
: >"$X"

# x [--tcp|--token] METHOD PATH [BODY] [CURL-ARG...]: one request, its
# answer appended to $X; the status is left in $T/st, the body in $T/b.
# The Unix socket by default; --tcp without a token, --token with it.
# The body's Content-Type is $CT, application/json by default.
x() {
  local via=unix
  case $1 in --tcp|--token) via=$1; shift ;; esac
  local method=$1 path=$2 body=${3:-}
  shift $(( $# < 3 ? $# : 3 ))
  local args=(-s -o "$T/b" -D "$T/h" -w '%{http_code}' -X "$method")
  case $via in
    unix) args+=(--unix-socket "$UCH_SOCK") ;;
    --token) args+=(-H "Authorization: Bearer $TOKEN") ;;
  esac
  [ -z "$body" ] || args+=(-H "Content-Type: ${CT:-application/json}" --data-binary "$body")
  local base=http://uch
  [ "$via" = unix ] || base=$UCH_URL
  curl "${args[@]}" "$@" "$base$path" >"$T/st" || die "curl $method $path failed"
  # the headers of the last answer (curl writes each 100-continue too)
  tr -d '\r' <"$T/h" | awk '/^HTTP\//{delete h; next} /:/{i=index($0,":"); k=tolower(substr($0,1,i-1)); v=substr($0,i+1); sub(/^ +/,"",v); h[k]=v} END{for (k in h) print k "\t" h[k]}' >"$T/hh"
  local rb=$body
  [ "${rb:0:1}" != @ ] || rb=$(head -c 4096 "${rb:1}")
  jq -cn --arg m "$method" --arg p "$path" --argjson s "$(cat "$T/st")" \
     --rawfile b "$T/b" --rawfile hh "$T/hh" --arg rb "$rb" \
     '{method: $m, path: $p, status: $s, body: $b, request_body: $rb,
       headers: ($hh | split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {})}' >>"$X"
}
st() { cat "$T/st"; }
expect() { [ "$(st)" = "$1" ] || die "$2: got $(st), wanted $1: $(cat "$T/b")"; }
# wait_for ID JQ-CONDITION [SECONDS]: poll the job (each poll recorded)
wait_for() {
  local i
  for (( i=0; i < ${3:-60}*10; i++ )); do
    x GET "/v1/jobs/$1"
    jq -e "$2" "$T/b" >/dev/null && return 0
    sleep 0.1
  done
  die "job $1: never $2: $(cat "$T/b")"
}

head -c $((16 * 1024 * 1024)) /dev/urandom >"$T/src.img"
head -c $((1024 * 1024)) /dev/urandom >"$T/small.img"

# -- the service
x GET /v1/health; expect 200 health
x --tcp GET /v1/health; expect 200 "health over TCP, no token"
x GET /v1/volumes; expect 200 volumes
x GET /metrics; expect 200 metrics
x --token GET /metrics; expect 200 "metrics with a token"
x --tcp GET /metrics; expect 401 "metrics without a token"

# -- a copy that succeeds, then the same again (200), verified
c1='{"type": "copy", "id": "c1", "verify": true, "labels": {"vm": "web01"},
     "disks": [{"source": {"path": "'"$T"'/small.img"}, "destination": {"path": "'"$T"'/c1.qcow2", "format": "qcow2"}}]}'
x POST /v1/jobs "$c1"; expect 201 "submit c1"
wait_for c1 '.state == "succeeded"'
x POST /v1/jobs "$c1"; expect 200 "c1 again"
x GET '/v1/jobs/c1/log'; expect 200 log
x GET '/v1/jobs/c1/log?offset=10'; expect 200 "log from 10"
x GET '/v1/jobs/c1/log?offset=-1'; expect 400 "log from -1"
x GET '/v1/jobs/c1/log?offset=x'; expect 400 "log from x"
x --tcp GET /v1/jobs/c1/log; expect 401 "log without a token"
x GET /v1/jobs/nope/log; expect 404 "log of no job"
x PATCH /v1/jobs/c1 '{"limits": {"bandwidth": "1M"}}'; expect 409 "PATCH a finished copy"

# -- a digest job (the source appliance's half of a verified pass), done
# before r1, e1 and s1 take the three slots; s1's second pass verifies
# with it
d1='{"type": "digest", "id": "d1", "chunk_mib": 1, "disks": [{"source": {"path": "'"$T"'/small.img"}, "extents": [[0, 65536]]}]}'
x POST /v1/jobs "$d1"; expect 201 "submit d1"
wait_for d1 '.state == "succeeded"'
x GET /v1/jobs/d1; expect 200 "d1"
v=$(jq -c '.result.disks[0].digest' "$T/b")

# -- a copy held to 1 Mbit/s: running, PATCHed, cancelled, restarted
r1='{"type": "copy", "id": "r1", "limits": {"bandwidth": "1M"},
     "disks": [{"source": {"path": "'"$T"'/src.img"}, "destination": {"path": "'"$T"'/r1.img"}}]}'
x POST /v1/jobs "$r1"; expect 201 "submit r1"
wait_for r1 '.state == "running"'
x PATCH /v1/jobs/r1 '{"limits": {"bandwidth": "2M"}}'; expect 200 "PATCH r1"
x PATCH /v1/jobs/r1 '{"limits": {"bandwidth": "fast"}}'; expect 400 "PATCH r1, bad bandwidth"
x PATCH /v1/jobs/r1 '{"limits": {}, "x": 1}'; expect 400 "PATCH r1, unknown field"
x --tcp PATCH /v1/jobs/r1 '{"limits": {"bandwidth": "2M"}}'; expect 401 "PATCH without a token"
x PATCH /v1/jobs/nope '{"limits": {"bandwidth": "2M"}}'; expect 404 "PATCH no job"
x DELETE /v1/jobs/r1; expect 409 "DELETE a running job"
x POST /v1/jobs "${r1/r1.img/other.img}"; expect 409 "r1's id, another request"
x POST /v1/jobs/r1/cancel; expect 202 "cancel r1"
wait_for r1 '.state == "cancelled"'
x POST /v1/jobs/r1/cancel; expect 409 "cancel r1 again"
x POST /v1/jobs "$r1"; expect 202 "resubmit the cancelled r1 (restart)"
jq -e '.restarts == 1 and .state == "queued"' "$T/b" >/dev/null || die "restart: $(cat "$T/b")"
wait_for r1 '.state == "running"'

# -- an export served on a Unix socket (running, serving), a queued job
e1='{"type": "export", "id": "e1", "disks": [{"source": {"path": "'"$T"'/small.img"}, "name": "sda"}],
     "listen": {"unix": true}}'
x POST /v1/jobs "$e1"; expect 201 "submit e1"
wait_for e1 '.phase == "serving"'
x POST /v1/jobs '{"type": "copy", "id": "busy", "disks": [{"source": {"path": "'"$T"'/small.img"}, "destination": {"path": "'"$T"'/r1.img"}}]}'
expect 409 "a copy onto r1's destination"
# the message names the field once, at its start
[ "$(jq -r .error.message "$T/b" | grep -o 'disks\[0\]\.destination\.path' | wc -l)" = 1 ] ||
  die "the 409 message names its field twice: $(cat "$T/b")"
x POST /v1/jobs '{"type": "copy", "id": "tok", "disks": [{"source": {"path": "'"$T"'/small.img"}, "destination": {"path": "'"$UCH_TOKEN_FILE"'"}}]}'
expect 403 "a copy onto the token file"
# the third slot: a sync job, pass 1 then waiting
s1='{"type": "sync", "id": "s1", "disks": [{"source": {"path": "'"$T"'/small.img"}, "destination": {"path": "'"$T"'/s1.img"}}]}'
x POST /v1/jobs "$s1"; expect 201 "submit s1"
wait_for s1 '.phase == "waiting"'
q1='{"type": "copy", "id": "q1", "disks": [{"source": {"path": "'"$T"'/small.img"}, "destination": {"path": "'"$T"'/q1.img"}}]}'
x POST /v1/jobs "$q1"; expect 201 "submit q1"
x GET /v1/jobs/q1; expect 200 "q1"
jq -e '.state == "queued"' "$T/b" >/dev/null || die "q1 is not queued: $(cat "$T/b")"
x GET '/v1/jobs?state=queued'; expect 200 "queued jobs"
x GET '/v1/jobs?state=running&type=copy'; expect 200 "running copies"
x GET '/v1/jobs?state=bogus'; expect 400 "jobs in state bogus"
x --tcp GET /v1/jobs; expect 401 "jobs without a token"
x --token GET /v1/jobs; expect 200 "jobs with a token"
x POST /v1/jobs/q1/cancel; expect 202 "cancel q1 (queued)"

# -- sync passes and the cutover
x POST /v1/jobs/s1/sync; expect 400 "a pass without extents, no bitmap"
x POST /v1/jobs/s1/sync '{"disks": [{"changed_extents": [[0, 65536]], "change_id": "c-1", "verify": '"$v"'}]}'; expect 202 "sync s1"
x POST /v1/jobs/c1/sync '{"disks": [{"changed_extents": []}]}'; expect 409 "sync a copy"
x --tcp POST /v1/jobs/s1/sync; expect 401 "sync without a token"
x POST /v1/jobs/nope/sync; expect 404 "sync no job"
wait_for s1 '(.result.passes | length) == 2 and .phase == "waiting"'
x GET /v1/jobs/s1; expect 200 "s1 after its verified pass"
jq -e '.result.passes[1].disks[0].verified.pieces == 1 and .result.prediction.after_pass == 2' "$T/b" >/dev/null ||
  die "s1's second pass is not verified, or has no prediction: $(jq -c .result "$T/b")"
# a pass verified by a digest posted while it waits (verifying)
x POST /v1/jobs/s1/sync '{"disks": [{"changed_extents": [[0, 65536]], "verify": true}]}'; expect 202 "sync s1, digest to be posted"
wait_for s1 '.phase == "verifying"'
x POST /v1/jobs/s1/digest '{"disks": []}'; expect 400 "a digest of no disks"
x POST /v1/jobs/c1/digest '{"disks": ['"$v"']}'; expect 409 "a digest for a copy"
x --tcp POST /v1/jobs/s1/digest '{"disks": ['"$v"']}'; expect 401 "a digest without a token"
x POST /v1/jobs/nope/digest '{"disks": ['"$v"']}'; expect 404 "a digest for no job"
x POST /v1/jobs/s1/digest '{"disks": ['"$v"']}'; expect 202 "the digest for s1's pass"
wait_for s1 '(.result.passes | length) == 3 and .phase == "waiting"'
x GET /v1/jobs/s1; expect 200 "s1 after its pass verified by a posted digest"
jq -e '.result.passes[2].disks[0].verified.pieces == 1' "$T/b" >/dev/null ||
  die "s1's third pass is not verified: $(jq -c .result.passes "$T/b")"
x POST /v1/jobs/s1/cutover '{"disks": [{"changed_extents": [[0, 0]]}]}'; expect 400 "cutover, an empty extent"
x POST /v1/jobs/c1/cutover '{"disks": [{"changed_extents": []}]}'; expect 409 "cutover a copy"
x --tcp POST /v1/jobs/s1/cutover; expect 401 "cutover without a token"
x POST /v1/jobs/nope/cutover; expect 404 "cutover no job"
x POST /v1/jobs/s1/cutover '{"disks": [{"changed_extents": [[65536, 65536]]}]}'; expect 202 "cutover s1"
wait_for s1 '.state == "succeeded"'

# -- a copy that fails: its source socket has no server
x POST /v1/jobs '{"type": "copy", "id": "f1", "disks": [{"source": {"nbd": "nbd+unix:///?socket='"$T"'/none.sock"}, "destination": {"path": "'"$T"'/f1.img"}}]}'
expect 201 "submit f1"
wait_for f1 '.state == "failed"'

x POST /v1/jobs/e1/cancel; expect 202 "cancel e1"
x POST /v1/jobs/r1/cancel; expect 202 "cancel r1"
wait_for e1 '.state == "cancelled"'
wait_for r1 '.state == "cancelled"'

# -- the other refusals of POST /v1/jobs
x POST /v1/jobs '{"type": "copy", "disks": [{"source": {"path": "rel"}, "destination": {"path": "/x"}}]}'; expect 400 "relative path"
x POST /v1/jobs '{"type": "teleport"}'; expect 400 "unknown type"
x --tcp POST /v1/jobs "$c1"; expect 401 "submit without a token"
x --tcp POST /v1/jobs "$c1" -H 'Authorization: Bearer wrong-token-wrong-token'; expect 401 "submit with a wrong token"
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$T/big.json"
x POST /v1/jobs "@$T/big.json"; expect 413 "a body over 1 MiB"
CT=text/plain x POST /v1/jobs "$c1"; expect 415 "text/plain"

# -- every job, the list, then DELETE
x GET /v1/jobs; expect 200 "all jobs"
for id in c1 r1 e1 s1 q1 f1; do x GET "/v1/jobs/$id"; expect 200 "job $id"; done
x --tcp GET /v1/jobs/c1; expect 401 "a job without a token"
x GET /v1/jobs/nope; expect 404 "no such job"
x GET "/v1/jobs/c1?wait_s=0&until=served"; expect 200 "a long poll of 0 s"
x GET "/v1/jobs/c1?wait_s=61"; expect 400 "a long poll over 60 s"
x DELETE /v1/jobs/c1; expect 204 "DELETE c1"
x DELETE /v1/jobs/c1; expect 404 "DELETE c1 again"
x --tcp DELETE /v1/jobs/q1; expect 401 "DELETE without a token"
x --tcp POST /v1/jobs/q1/cancel; expect 401 "cancel without a token"
x POST /v1/jobs/nope/cancel; expect 404 "cancel no job"

# -- methods and paths the spec does not list: 405 with Allow, 404
for mp in "PUT /v1/health" "DELETE /v1/jobs" "GET /v1/jobs/c1/cancel" \
          "POST /v1/jobs/q1" "PATCH /metrics" "POST /v1/volumes" \
          "DELETE /v1/jobs/q1/log" "GET /v1/jobs/q1/sync" "PUT /v1/jobs/q1/cutover" \
          "GET /v1/jobs/q1/digest"; do
  read -r m p <<<"$mp"
  x "$m" "$p"; expect 405 "$mp"
done
x GET /v1/nothing; expect 404 "no such resource"
x GET /v1/jobs/q1/nothing; expect 404 "no such resource under a job"

# UCH_OPENAPI_KEEP=FILE keeps the exchanges, to look at them
[ -z "${UCH_OPENAPI_KEEP:-}" ] || cp "$X" "$UCH_OPENAPI_KEEP"
"$V" check "$spec" "$X" >"$T/check.log" || die "$(cat "$T/check.log")"
pass "$(tail -1 "$T/check.log")"


# It does judge: the same answers against a spec that says a copy's
# result is raw only, and a spec with a nullable without a type.
sed 's/format: { type: string, enum: \[raw, qcow2\] }/format: { type: string, enum: [raw] }/' \
  "$spec" >"$T/narrow.yaml"
! cmp -s "$spec" "$T/narrow.yaml" || die "the sed above no longer applies"
if "$V" check "$T/narrow.yaml" "$X" >"$T/narrow.log"; then
  die "a spec refusing qcow2 copies passed: $(tail -1 "$T/narrow.log")"
fi
grep -q '^FAIL GET /v1/jobs/c1 -> 200: .*"/result": Error at "/disks/0/format": value "qcow2" is not one of the allowed values' "$T/narrow.log" ||
  die "check: $(cat "$T/narrow.log")"
python3 -c 'import sys; t = open(sys.argv[1]).read(); sys.stdout.write(t.replace("        restarts:\n          type: integer\n", "        restarts:\n          nullable: true\n", 1))' \
  "$spec" >"$T/untyped.yaml"
if "$V" lint "$T/untyped.yaml" >"$T/untyped.log"; then
  die "lint passed a nullable without a type: $(cat "$T/untyped.log")"
fi
grep -q 'JobCommon.restarts: nullable without a type' "$T/untyped.log" || die "lint: $(cat "$T/untyped.log")"
pass "the validator judges: a narrower result schema and an untyped nullable fail"
