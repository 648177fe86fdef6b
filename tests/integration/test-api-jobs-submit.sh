#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Submit, get, list (newest first, ?state= and ?type=), and idempotent
# resubmission: same id + same request -> 200 and the same job, same id
# with another request -> 409 naming the id.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

make_sparse_image "$T/disk.img" $((32 * 1024 * 1024)) 8
uchd_start

req() { # req ID OUT
  printf '{"type":"copy","id":"%s","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
    "$1" "$T/disk.img" "$T/$2" >"$T/req-$1.json"
  echo "$T/req-$1.json"
}

api POST /v1/jobs "$(req first out1.img)" >"$T/r1"
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/r1")"
jq -e '.id == "first" and .type == "copy" and (.state == "queued" or .state == "running")
       and (.created_at | length > 0) and (.disks | length == 1)
       and .request.disks[0].destination.path' "$T/r1" >/dev/null ||
  die "submit body: $(cat "$T/r1")"
[ -f "$T/state/jobs/first/state.json" ] || die "no state.json"
[ -f "$T/state/jobs/first/request.json" ] || die "no request.json"
pass "201 with the job"

# the same again: 200, same job
api POST /v1/jobs "$T/req-first.json" >"$T/r2"
[ "$(status)" = 200 ] || die "resubmit: $(status) $(cat "$T/r2")"
[ "$(jq -r .created_at "$T/r2")" = "$(jq -r .created_at "$T/r1")" ] ||
  die "resubmit made another job"
pass "same id, same request: 200 with the existing job"

# same id, another destination: 409
sed 's/out1.img/other.img/' "$T/req-first.json" >"$T/req-changed.json"
api POST /v1/jobs "$T/req-changed.json" >"$T/r3"
[ "$(status)" = 409 ] || die "changed resubmit: $(status) $(cat "$T/r3")"
jq -e '.error.code == "conflict" and (.error.message | test("first"))
       and (.error.message | test("different"))' "$T/r3" >/dev/null ||
  die "409 body: $(cat "$T/r3")"
pass "same id, other request: 409 naming it"

st=$(job_wait first 60)
[ "$st" = succeeded ] || die "first ended $st"
cmp "$T/disk.img" "$T/out1.img" || die "copy differs"

# no id: one is generated
printf '{"type":"copy","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
  "$T/disk.img" "$T/out2.img" >"$T/req-noid.json"
id2=$(api POST /v1/jobs "$T/req-noid.json" | jq -r .id)
[ "$(status)" = 201 ] || die "submit without id: $(status)"
[[ $id2 =~ ^[0-9a-f]{16}$ ]] || die "generated id '$id2'"
[ "$(job_wait "$id2" 60)" = succeeded ] || die "second job failed"
pass "generated id $id2"

api GET "/v1/jobs/$id2" >"$T/g"
[ "$(status)" = 200 ] && [ "$(jq -r .state "$T/g")" = succeeded ] &&
  [ "$(jq -r .progress.percent "$T/g")" = 100 ] || die "get: $(cat "$T/g")"
pass "get"

api GET /v1/jobs >"$T/l"
[ "$(jq -r '[.jobs[].id] | join(",")' "$T/l")" = "$id2,first" ] ||
  die "list not newest first: $(jq -c '[.jobs[].id]' "$T/l")"
[ "$(api GET '/v1/jobs?state=succeeded' | jq '.jobs | length')" = 2 ] ||
  die "?state=succeeded"
[ "$(api GET '/v1/jobs?state=running' | jq '.jobs | length')" = 0 ] ||
  die "?state=running"
[ "$(api GET '/v1/jobs?type=copy' | jq '.jobs | length')" = 2 ] || die "?type=copy"
[ "$(api GET '/v1/jobs?type=export' | jq '.jobs | length')" = 0 ] || die "?type=export"
api GET '/v1/jobs?state=bogus' >/dev/null
[ "$(status)" = 400 ] || die "?state=bogus: $(status)"
pass "list: newest first, state and type filters"
