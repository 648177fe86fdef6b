#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of uchd in the middle of a copy does not stop the job: the
# worker goes on, a restarted uchd finds it again (running, slot taken),
# and reports its success; the copy is complete.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

# 24 MiB at 1 MB/s: 24 s, so the copy still runs after the restart on a
# loaded machine (6 s was once over before the restarted uchd looked)
slow_nbd_source slow 24 8M
uchd_start --max-jobs 2
copy_request "$T/a.json" survivor "$SRC_URI" "$T/out.img"
api POST /v1/jobs "$T/a.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status)"
wait_for 20 job_in_state survivor running ||
  die "not running: $(job_field survivor .)"
sleep 1                                # in the middle of the copy
worker=$(jq -r .worker.pid "$T/state/jobs/survivor/state.json")

kill -9 "$UCHD_PID"; wait "$UCHD_PID" 2>/dev/null || true
sleep 0.5
kill -0 "$worker" 2>/dev/null || die "kill -9 of uchd stopped the worker"
pass "worker $worker survives kill -9 of uchd"

uchd_start --max-jobs 2
[ "$(job_field survivor .state)" = running ] || die "after restart: $(job_field survivor .state)"
api GET /v1/health | jq -e '.slots.running == 1' >/dev/null ||
  die "adopted worker not counted: $(jq -c .slots "$T/body")"
grep -q "watching worker $worker again" "$T/uchd.log" || die "not adopted"
pass "restarted uchd adopts the running worker"

[ "$(job_wait survivor 120)" = succeeded ] || die "job: $(job_field survivor .error)"
cmp "$T/slow.img" "$T/out.img" || die "copy differs"
api GET /v1/health | jq -e '.slots.running == 0' >/dev/null || die "slot not freed"
pass "the job succeeds and is reported after the restart"
