#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --max-jobs 1: the second and third jobs stay queued while the first
# runs; a queued job cancels at once (no worker ever starts); a restart of
# uchd (SIGTERM) leaves the running worker alone and keeps the queue; the
# queued job starts only after the first one ended.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

# slow enough that ja still runs across the restart on a loaded machine
slow_nbd_source slow 16 8M      # 16 MiB at 1 MB/s: about 16 s
src=$SRC_URI
uchd_start --max-jobs 1
copy_request "$T/a.json" ja "$src" "$T/a.img"
copy_request "$T/b.json" jb "$src" "$T/b.img"
copy_request "$T/c.json" jc "$src" "$T/c.img"
for j in a b c; do
  api POST /v1/jobs "$T/$j.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $j: $(status) $(cat "$T/body")"
done

wait_for 10 job_in_state ja running || { cat "$T/state/jobs/ja/job.log" "$T/uchd.log"; job_field ja .; die "ja not running"; }
[ "$(job_field jb .state)" = queued ] || die "jb not queued"
[ "$(job_field jc .state)" = queued ] || die "jc not queued"
api GET /v1/health | jq -e '.slots == {"max":1,"running":1,"queued":2}' >/dev/null ||
  die "slots: $(jq -c .slots "$T/body")"
api GET '/v1/jobs?state=queued' | jq -e '[.jobs[].id] == ["jc","jb"]' >/dev/null ||
  die "queued list: $(jq -c '[.jobs[].id]' "$T/body")"
pass "max-jobs 1: one running, two queued"

api POST /v1/jobs/jc/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel queued: $(status)"
[ "$(job_field jc .state)" = cancelled ] || die "jc not cancelled at once"
[ ! -s "$T/state/jobs/jc/job.log" ] || die "a worker ran for the cancelled job"
api POST /v1/jobs/jc/cancel >/dev/null
[ "$(status)" = 409 ] || die "cancel of a cancelled job: $(status)"
pass "cancel of a queued job: cancelled at once, 409 the second time"

# restart uchd while ja runs
worker=$(jq -r .worker.pid "$T/state/jobs/ja/state.json")
uchd_stop
kill -0 "$worker" 2>/dev/null || die "SIGTERM of uchd stopped the worker"
[ "$(jq -r .state "$T/state/jobs/jb/state.json")" = queued ] || die "jb not queued on disk"
uchd_start --max-jobs 1
[ "$(job_field ja .state)" = running ] || die "ja after restart: $(job_field ja .state)"
[ "$(job_field jb .state)" = queued ] || die "jb started beside ja after restart"
pass "restart: the worker goes on, jb still queued"

[ "$(job_wait ja 120)" = succeeded ] || die "ja: $(job_field ja .error)"
[ "$(job_wait jb 120)" = succeeded ] || die "jb: $(job_field jb .error)"
a_end=$(job_field ja .finished_at) b_start=$(job_field jb .started_at)
[[ "$b_start" > "$a_end" ]] || die "jb started $b_start before ja ended $a_end"
cmp "$T/slow.img" "$T/a.img" && cmp "$T/slow.img" "$T/b.img" || die "copies differ"
[ "$(job_field jc .state)" = cancelled ] || die "jc changed"
pass "jb started after ja ended ($a_end < $b_start), both copies right"
