#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a crash can leave on disk, and what uchd makes of it at start:
# - a submit killed after its secrets were stored and before its job
#   directory was renamed into place: a secret on the runtime tmpfs of a
#   job that is 404.  Removed, and so are a finished job's leftovers.
# - a state.json of 0 bytes: the job was hidden and its id taken for
#   ever.  With request.json the job is back, failed, saying why, and
#   resubmitting the same request restarts it; without one the directory
#   is moved aside and the id is free again.
source "$UCH_TOP/tests/lib/functions.sh"
require jq

head -c 2M /dev/urandom >"$T/src.img"
req() {
  printf '{"type":"copy","id":"%s","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
    "$1" "$T/src.img" "$T/$1.img" >"$T/$1.json"
}
req z1; req z2; req done1

uchd_start
job_succeeds z1 "$T/z1.json" 120
job_succeeds done1 "$T/done1.json" 120
uchd_stop

secret=uch-crash-window-$RANDOM$RANDOM
# a submit cut short: secrets, no job
mkdir -p "$T/run/jobs/ghost/secrets"; chmod 0700 "$T/run/jobs/ghost/secrets"
printf '%s' "$secret" >"$T/run/jobs/ghost/secrets/disks.0.source.nbdkit.password"
# a finished job whose worker died before removing its runtime dir
mkdir -p "$T/run/jobs/done1/secrets"; chmod 0700 "$T/run/jobs/done1/secrets"
printf '%s' "$secret" >"$T/run/jobs/done1/secrets/disks.0.source.nbdkit.password"
# a 0-byte state.json with its request, and one without
: >"$T/state/jobs/z1/state.json"
mkdir -p "$T/state/jobs/z2"
: >"$T/state/jobs/z2/state.json"
rm -f "$T/z1.img"

uchd_start
[ ! -e "$T/run/jobs/ghost" ] || die "the cut-short submit's secrets are still there"
[ ! -e "$T/run/jobs/done1" ] || die "the finished job's runtime dir is still there"
! grep -rqF -- "$secret" "$T/run" || die "the secret is still on the runtime dir"
grep -q "removed $T/run/jobs/ghost" "$T/uchd.log" || die "not logged: $(cat "$T/uchd.log")"
pass "a secret of a job that does not exist (or is finished) is removed at start"

api GET /v1/jobs/z1 >"$T/z1.out"
[ "$(status)" = 200 ] || die "z1 after restart: $(status) $(cat "$T/z1.out")"
jq -e '.state == "failed" and .error.code == "worker_lost" and
       (.error.message | test("state.json was found empty or unreadable"))' \
  "$T/z1.out" >/dev/null || die "z1: $(jq -c '{state,error}' "$T/z1.out")"
[ -e "$T/state/jobs/z1/state.json.broken" ] || die "the bad file was not kept"
api GET /v1/jobs | jq -e '[.jobs[].id] | index("z1") != null' >/dev/null ||
  die "z1 not listed"
pass "a 0-byte state.json: the job is listed again, failed, saying why"

api POST /v1/jobs "$T/z1.json" >/dev/null
[ "$(status)" = 202 ] || die "resubmit z1: $(status) $(cat "$T/body")"
[ "$(job_wait z1 120)" = succeeded ] || die "z1 restart: $(job_field z1 .error)"
cmp "$T/src.img" "$T/z1.img" || die "z1 copy differs"
pass "resubmitting the same request restarts it, and it succeeds"

api GET /v1/jobs/z2 >/dev/null
[ "$(status)" = 404 ] || die "z2: $(status)"
ls -d "$T"/state/jobs/.broken-z2-* >/dev/null || die "z2 not moved aside"
grep -q "the id 'z2' is free again" "$T/uchd.log" || die "not logged"
job_succeeds z2 "$T/z2.json" 120
pass "without request.json: moved aside, the id is free for a new job"
