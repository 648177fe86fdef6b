#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The job log from an offset (X-Log-Size tells a follower where to go on),
# /metrics in Prometheus text with the documented series, cancel of a
# running job, and DELETE: 409 while running, then the job and its files
# are gone.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

make_sparse_image "$T/disk.img" $((16 * 1024 * 1024)) 8
slow_nbd_source slow 32 16M
uchd_start
printf '{"type":"copy","id":"quick","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}' \
  "$T/disk.img" "$T/quick.img" >"$T/quick.json"
api POST /v1/jobs "$T/quick.json" >/dev/null
[ "$(job_wait quick 60)" = succeeded ] || die "quick: $(job_field quick .error)"

# log
logfile=$T/state/jobs/quick/job.log
size=$(stat -c %s "$logfile")
[ "$size" -gt 20 ] || die "job log too small: $size"
curl -s -D "$T/h" -o "$T/log" --unix-socket "$UCH_SOCK" http://uch/v1/jobs/quick/log
grep -qi '^Content-Type: text/plain' "$T/h" || die "log content type: $(cat "$T/h")"
[ "$(tr -d '\r' <"$T/h" | sed -n 's/^X-Log-Size: //Ip')" = "$size" ] || die "X-Log-Size: $(cat "$T/h")"
cmp "$T/log" "$logfile" || die "log body differs"
off=$((size - 10))
curl -s -D "$T/h" -o "$T/tail" --unix-socket "$UCH_SOCK" "http://uch/v1/jobs/quick/log?offset=$off"
tail -c 10 "$logfile" | cmp - "$T/tail" || die "log from offset $off differs"
[ "$(tr -d '\r' <"$T/h" | sed -n 's/^X-Log-Size: //Ip')" = "$size" ] || die "X-Log-Size at offset"
curl -s -D "$T/h" -o "$T/tail" --unix-socket "$UCH_SOCK" "http://uch/v1/jobs/quick/log?offset=$size"
[ ! -s "$T/tail" ] || die "log at its end is not empty"
api GET '/v1/jobs/quick/log?offset=abc' >/dev/null
[ "$(status)" = 400 ] || die "offset=abc: $(status)"
pass "log: whole, from an offset, at its end; X-Log-Size"

# a running job for the progress gauge and cancel
copy_request "$T/slow.json" slowjob "$SRC_URI" "$T/slow-out.img"
api POST /v1/jobs "$T/slow.json" >/dev/null
wait_for 20 job_in_state slowjob running || die "slowjob not running"

curl -s -D "$T/h" -o "$T/metrics" --unix-socket "$UCH_SOCK" http://uch/metrics
grep -qi '^Content-Type: text/plain' "$T/h" || die "metrics content type"
for re in '^uch_jobs\{state="succeeded",type="copy"\} 1$' \
          '^uch_jobs\{state="running",type="copy"\} 1$' \
          '^uch_jobs\{state="queued",type="copy"\} 0$' \
          '^uch_bytes_copied_total [1-9][0-9]*$' \
          '^uch_job_progress_percent\{id="slowjob",type="copy"\} [0-9.]+$' \
          '^uch_http_responses_total\{code="200"\} [1-9][0-9]*$' \
          '^uch_http_responses_total\{code="400"\} 1$' \
          '^uch_slots_max [1-9][0-9]*$' \
          '^uch_build_info\{version="[^"]+"\} 1$' \
          '^# TYPE uch_jobs gauge$' '^# TYPE uch_bytes_copied_total counter$'; do
  grep -Eq "$re" "$T/metrics" || die "metrics lack $re: $(cat "$T/metrics")"
done
pass "metrics: the documented series"

api DELETE /v1/jobs/slowjob >/dev/null
[ "$(status)" = 409 ] || die "delete running: $(status)"
api POST /v1/jobs/slowjob/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel running: $(status)"
[ "$(job_wait slowjob 30)" = cancelled ] || die "slowjob: $(job_field slowjob .state)"
api POST /v1/jobs/slowjob/cancel >/dev/null
[ "$(status)" = 409 ] || die "cancel of a cancelled job: $(status)"
pass "cancel of a running job: 202, then cancelled; 409 after"

api DELETE /v1/jobs/quick >/dev/null
[ "$(status)" = 204 ] || die "delete: $(status)"
[ ! -e "$T/state/jobs/quick" ] || die "state dir left"
[ ! -e "$T/run/jobs/quick" ] || die "runtime dir left"
api GET /v1/jobs/quick >/dev/null
[ "$(status)" = 404 ] || die "deleted job still answers: $(status)"
[ "$(api GET /v1/jobs | jq -r '[.jobs[].id] | join(",")')" = slowjob ] || die "list after delete"
api DELETE /v1/jobs/quick >/dev/null
[ "$(status)" = 404 ] || die "second delete: $(status)"
pass "delete: 204, files gone, 404 after"
