#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "verify": true must be able to fail: a source that reads differently
# every time (nbdkit eval returning fresh random bytes) makes the job
# fail with a mismatch, recorded as verified: false.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
[ -e "$(nbdkit --dump-config | sed -n 's/^plugindir=//p')/nbdkit-eval-plugin.so" ] ||
  skip "nbdkit eval plugin not installed"

# shellcheck disable=SC2016 # $3 is the count nbdkit's eval plugin passes
nbdkit -r -f -U "$T/rand.sock" -P "$T/rand.pid" eval \
  get_size='echo 4194304' pread='head -c $3 /dev/urandom' \
  >>"$T/nbdkit.log" 2>&1 &
cleanup_add "kill $!"
wait_for 10 test -s "$T/rand.pid" || die "nbdkit did not start"
uchd_start

cat >"$T/req.json" <<JSON
{"type": "copy", "id": "v", "verify": true, "disks": [
  {"source": {"nbd": "nbd+unix:///?socket=$T/rand.sock"},
   "destination": {"path": "$T/out.img"}}]}
JSON
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
st=$(job_wait v 60)
api GET /v1/jobs/v >"$T/job.json"
[ "$st" = failed ] || die "job ended $st, wanted failed"
jq -e '.error.code == "verify_mismatch" and
  (.error.message | test("^disks\\[0\\]: the copy differs from the source at byte [0-9]+$")) and
  .result.disks[0].verified == false' "$T/job.json" >/dev/null ||
  die "job: $(jq -c '.error, .result' "$T/job.json")"
pass "mismatch: $(jq -r .error.message "$T/job.json")"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
