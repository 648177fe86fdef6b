#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cancelling a copy mid-way (source slowed by nbdkit's rate filter, read
# through the worker's own nbdkit, into qcow2 through qemu-nbd) ends the
# job "cancelled" and leaves no nbdkit, nbdcopy, qemu-nbd or uch-job.
# Even a worker killed outright (-9) takes its tools with it.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require qemu-nbd
require jq

make_sparse_image "$T/src.img" $((512 * 1024 * 1024)) 64
nbdkit_serve slow "$T/src.img" --filter=rate -- rate=20M
uchd_start

submit() { # ID
  cat >"$T/$1.json" <<JSON
{"type": "copy", "id": "$1", "disks": [
  {"source": {"nbdkit": {"plugin": "nbd", "uri": "$NBD_URI"}},
   "destination": {"path": "$T/$1.qcow2", "format": "qcow2"}}]}
JSON
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
  copying() { [ "$(job_field "$1" .phase)" = copying ] && pgrep -f -- "nbdcopy.*$T" >/dev/null; }
  wait_for 30 copying "$1" || die "never copying: $(api GET "/v1/jobs/$1")"
}

submit slow
pgrep -f -- "qemu-nbd.*$T" >/dev/null || die "no qemu-nbd while copying"
pgrep -f -- "nbdkit.*$T/run/jobs/slow" >/dev/null || die "no worker nbdkit"
worker=$(job_field slow .worker.pid)
pass "copying with nbdkit, qemu-nbd and nbdcopy (worker $worker)"

sleep 1
api POST /v1/jobs/slow/cancel >/dev/null
case $(status) in 200|202) ;; *) die "cancel: $(status) $(cat "$T/body")" ;; esac
st=$(job_wait slow 30)
api GET /v1/jobs/slow >"$T/job.json"
[ "$st" = cancelled ] || die "job ended $st: $(jq -c .error "$T/job.json")"
jq -e '.progress.percent < 100 and .finished_at' "$T/job.json" >/dev/null ||
  die "cancelled job: $(jq -c . "$T/job.json")"
pass "cancelled at $(jq .progress.percent "$T/job.json")%"

wait_for 10 sh -c "! kill -0 $worker 2>/dev/null" || die "worker $worker still alive"
left=$(worker_leftovers)
[ -z "$left" ] || die "left running: $left"
for tool in nbdcopy qemu-nbd uch-job; do
  ! pgrep -f -- "$tool.*$T" >/dev/null || die "$tool left: $(pgrep -af -- "$tool.*$T")"
done
! pgrep -f -- "nbdkit.*$T/run" >/dev/null || die "worker's nbdkit left"
[ ! -e "$T/run/jobs/slow" ] || die "runtime dir left: $(ls -la "$T/run/jobs/slow")"
pass "no process and no runtime dir left"
grep -q "signal 15: cancelling" "$T/state/jobs/slow/job.log" || die "job.log"

submit killed
worker=$(job_field killed .worker.pid)
pgrep -f -- "qemu-nbd.*$T" >/dev/null || die "no qemu-nbd while copying"
kill -KILL "$worker"
st=$(job_wait killed 30)
[ "$st" = failed ] || die "killed worker's job ended $st"
no_leftovers() { [ -z "$(worker_leftovers)" ]; }
wait_for 10 no_leftovers || die "tools outlived a killed worker: $(worker_leftovers)"
pass "worker killed -9: its tools went with it"
