#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A cancel is not held up by reads in flight: a copy from a source whose
# reads do not return until the test lets them (each waits on a FIFO)
# is cancelled while its reads wait there, and the job ends cancelled
# before the source has answered any of them (its log filter shows
# requests without a reply), with no tool of the job left behind.  The
# worker's threads abandon their reads and close the connections with
# nbd_close() alone.  (nbd_shutdown(), the cancel path before, does not
# wait with nbdkit or qemu-nbd either, as both close at once on
# NBD_CMD_DISC; a server that answers what it has first would hold it.)
# nbdkit's delay filter cannot stand in for the slow source: its sleeps
# end early once the client goes.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
gated_nbd_source

uchd_start
copy_request "$T/req.json" slow "$SRC_URI" "$T/out.img"
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"

requests() { grep -c ' Read id=' "$T/reads.log" || true; }
replies() { grep -c '\.\.\.Read id=' "$T/reads.log" || true; }
wait_for 60 sh -c "grep -q ' Read id=' '$T/reads.log'" \
  || die "the copy never read the source: $(tail -5 "$T/state/jobs/slow/job.log")"
job_in_state slow running || die "not running: $(job_field slow .state)"

start=$(date +%s.%N)
api POST /v1/jobs/slow/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel: $(status) $(cat "$T/body")"
st=$(job_wait slow 60)
end=$(date +%s.%N)
asked=$(requests) answered=$(replies)
[ "$st" = cancelled ] || die "the job ended $st"
if [ "$asked" = 0 ] || [ "$answered" != 0 ]; then
  die "the job ended after the source answered $answered of $asked reads"
fi
took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
pass "cancelled in $took s, all $asked reads in flight still at the source"

# the worker writes its final state last; let it exit
for (( i=0; i<100; i++ )); do
  left=$(worker_leftovers)
  [ -z "$left" ] && break
  sleep 0.1
done
[ -z "$left" ] || die "left running: $left"
[ ! -e "$T/run/jobs/slow" ] || die "the job's runtime dir is still there"
pass "nothing of the job left behind"
