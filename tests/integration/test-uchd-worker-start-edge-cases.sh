#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The edges of starting a worker, with stand-ins for uch-job ($UCH_JOB):
# a worker program that cannot be started leaves the job failed with
# "worker_failed" naming it; a worker that dies of a client's cancel
# before it wrote anything leaves the job cancelled, not lost; one that
# exits at once without a final state leaves it failed, "worker_lost"
# with its exit status.  The real worker is tested everywhere else.
source "$UCH_TOP/tests/lib/functions.sh"
require jq

truncate -s 1M "$T/disk.img"
req() { # req ID
  printf '{"type":"copy","id":"%s","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}' \
    "$1" "$T/disk.img" "$T/$1.img" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}
restart_with() { # restart_with PROGRAM
  [ -z "${UCHD_PID:-}" ] || uchd_stop
  UCH_JOB=$1 uchd_start
}

restart_with "$T/no-such-uch-job"
req nostart
wait_for 5 job_in_state nostart failed || die "nostart: $(job_field nostart .state)"
job_field nostart .error >"$T/e"
jq -e '.code == "worker_failed" and (.message | test("no-such-uch-job"))' "$T/e" >/dev/null ||
  die "error: $(cat "$T/e")"
pass "a worker that cannot start: failed, worker_failed naming it"

printf '#!/bin/sh\nexec sleep 60\n' >"$T/sleeper"; chmod +x "$T/sleeper"
restart_with "$T/sleeper"
req sleepy
[ "$(job_field sleepy .state)" = queued ] || die "sleepy: $(job_field sleepy .state)"
api GET /v1/health | jq -e '.slots.running == 1 and .slots.queued == 0' >/dev/null ||
  die "a starting worker takes a slot: $(jq -c .slots "$T/body")"
api POST /v1/jobs/sleepy/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel: $(status)"
wait_for 5 job_in_state sleepy cancelled || die "sleepy: $(job_field sleepy .)"
[ "$(job_field sleepy .error)" = null ] || die "cancelled with an error"
pass "a worker killed by a cancel before writing: cancelled"

printf '#!/bin/sh\necho "stand-in worker giving up" >&2\nexit 3\n' >"$T/quitter"; chmod +x "$T/quitter"
restart_with "$T/quitter"
req quits
wait_for 5 job_in_state quits failed || die "quits: $(job_field quits .state)"
job_field quits .error >"$T/e"
jq -e '.code == "worker_lost" and (.message | test("status 3"))' "$T/e" >/dev/null ||
  die "error: $(cat "$T/e")"
api GET /v1/jobs/quits/log | grep -q "stand-in worker giving up" || die "worker stderr not in the job log"
pass "a worker exiting 3 without a final state: worker_lost, status 3; its stderr in the log"
