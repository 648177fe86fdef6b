#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A worker that dies without writing a final state leaves its job failed
# with error.code "worker_lost" and a message naming the pid, how it
# ended, and the job log: whether uchd started it, adopted it after a
# restart, or was down when it died.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

uchd_start --max-jobs 3

start_job() { # start_job ID: submits and waits for it to run; sets WORKER
  # a source of its own: nbdkit 1.32's rate filter may abort when a
  # killed client's connection drops, which must not fail the next job
  slow_nbd_source "src-$1" 32 16M     # 32 MiB at 2 MB/s: long enough
  copy_request "$T/$1.json" "$1" "$SRC_URI" "$T/$1.img"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status)"
  wait_for 20 job_in_state "$1" running || die "$1 not running: $(job_field "$1" .)"
  WORKER=$(jq -r .worker.pid "$T/state/jobs/$1/state.json")
}
check_lost() { # check_lost ID PID WORDS
  [ "$(job_wait "$1" 30)" = failed ] || die "$1: $(job_field "$1" .state)"
  api GET "/v1/jobs/$1" >"$T/j.json"
  jq -e '.error.code == "worker_lost"' "$T/j.json" >/dev/null || die "$1 error: $(jq -c .error "$T/j.json")"
  msg=$(jq -r .error.message "$T/j.json")
  for w in "pid $2" "$3" "job.log"; do
    grep -qF -- "$w" <<<"$msg" || die "$1 message lacks '$w': $msg"
  done
  [ -n "$(jq -r .finished_at "$T/j.json")" ] || die "$1 has no finished_at"
}

# 1. our own child, killed -9
start_job own
kill -9 "$WORKER"
check_lost own "$WORKER" "killed by signal 9"
pass "own worker killed: worker_lost, '$msg'"

# 2. adopted after a restart, then killed
start_job adopted
kill -9 "$UCHD_PID"; wait "$UCHD_PID" 2>/dev/null || true
uchd_start --max-jobs 3
[ "$(job_field adopted .state)" = running ] || die "adopted not running"
kill -9 "$WORKER"
check_lost adopted "$WORKER" "ended"
pass "adopted worker killed: worker_lost"

# 3. killed while uchd was down
start_job orphan
kill -9 "$UCHD_PID"; wait "$UCHD_PID" 2>/dev/null || true
kill -9 "$WORKER"
sleep 0.5
uchd_start --max-jobs 3
check_lost orphan "$WORKER" "while uchd was not running"
pass "worker killed while uchd was down: worker_lost after restart"

api GET /v1/health | jq -e '.slots.running == 0' >/dev/null || die "slots: $(jq -c .slots "$T/body")"
kill -0 "$UCHD_PID" || die "uchd died"
pass "no slot held by a lost worker"
