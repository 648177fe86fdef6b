#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A copy interrupted resumes from its last durable checkpoint when the
# same request is submitted again (same id): first with the worker killed
# outright (SIGKILL, no chance to clean up), then with the source server
# gone.  Each time the second run copies less than half of the data, says
# where it resumed, and the destination ends equal to the source.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
DATA=$((128 * MIB))
# 128 MiB of data in a 256 MiB disk at 64 Mbit/s: 10 s or so a copy.
# Much more than the reads the worker keeps in flight (32 MiB), so a
# checkpoint is never far behind.
make_sparse_image "$T/src.img" $((256 * MIB)) 128
uchd_start

submit() { # ID DEST SOURCE-JSON [LIMITS-JSON]: the HTTP status
  printf '{"type": "copy", "id": "%s", %s"disks": [{"source": %s, "destination": {"path": "%s"}}]}\n' \
    "$1" "${4:+\"limits\": $4, }" "$3" "$2" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  status
}
done_at_least() { [ "$(job_field "$1" .progress.bytes_done)" -ge "$2" ]; }
second_run() { # ID DEST WHAT SOURCE-JSON [LIMITS-JSON]
  local st copied from
  [ "$(submit "$1" "$2" "$4" "${5:-}")" = 202 ] || die "$3: resubmit: $(status) $(cat "$T/body")"
  st=$(job_wait "$1" 60)
  [ "$st" = succeeded ] || die "$3: the second run ended $st: $(job_field "$1" .error)"
  cmp "$T/src.img" "$2" || die "$3: the copy differs from the source"
  copied=$(job_field "$1" '.result.disks[0].bytes_copied')
  from=$(job_field "$1" '.result.disks[0].resumed_from')
  [ "$copied" -lt $((DATA / 2)) ] || die "$3: the second run copied $copied bytes of $DATA"
  [ "$(job_field "$1" .restarts)" = 1 ] || die "$3: restarts $(job_field "$1" .restarts)"
  grep -q "resuming at offset $from" "$T/state/jobs/$1/job.log" || die "$3: no resume in the log"
  pass "$3: resubmitted (202), resumed at offset $from, copied $copied of $DATA data bytes, equal"
}

# 1. the worker killed with SIGKILL (a local source, the job's own limit)
src1="{\"path\": \"$T/src.img\"}"
[ "$(submit k1 "$T/k1.img" "$src1" '{"bandwidth": "64M"}')" = 201 ] ||
  die "submit: $(status) $(cat "$T/body")"
wait_for 30 done_at_least k1 $((80 * MIB)) || die "k1 made no progress: $(api GET /v1/jobs/k1)"
pid=$(job_field k1 .worker.pid)
kill -KILL "$pid"
st=$(job_wait k1 30)
[ "$st" = failed ] || die "a killed worker left the job $st"
pass "worker $pid killed at $(job_field k1 .progress.bytes_done) bytes: $(job_field k1 .error.code)"
second_run k1 "$T/k1.img" "after SIGKILL" "$src1" '{"bandwidth": "64M"}'

# 2. the source server lost mid-copy, then back
nbdkit_serve src "$T/src.img" --filter=rate -- rate=64M
src2="{\"nbd\": \"$NBD_URI\"}"
[ "$(submit k2 "$T/k2.img" "$src2")" = 201 ] || die "submit k2: $(status) $(cat "$T/body")"
wait_for 30 done_at_least k2 $((80 * MIB)) || die "k2 made no progress: $(api GET /v1/jobs/k2)"
kill -KILL "$(cat "$T/src.pid")"
st=$(job_wait k2 60)
[ "$st" = failed ] || die "a lost source left the job $st"
pass "source lost at $(job_field k2 .progress.bytes_done) bytes: $(job_field k2 .error.message)"
rm -f "$T/src.sock"     # left behind by SIGKILL
nbdkit_serve src "$T/src.img"
second_run k2 "$T/k2.img" "after the source came back" "$src2"
