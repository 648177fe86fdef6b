#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=180
# GET /v1/jobs/{id}?wait_s=N&until=final|served, the long poll: on a
# copy whose source's reads wait on a gate (a FIFO), a wait of 1 s ends
# after that second with the job as it was (running); a wait of 60 s
# started before the job is cancelled answers once it is, cancelled,
# long before its 60 s; until=served answers an export once it serves;
# over TCP a wait past the listener's idle limit is answered;
# a job already final answers at once; bad values are 400 naming the
# query parameter; a client that goes away while waiting is counted no
# more once its wait_s is over (uch_http_waiting); uchd stopping with a
# client waiting ends the wait and exits 0.  The API's own waiters
# never poll: uchd resumes them on the job's events.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
gated_nbd_source

uchd_start
copy_request "$T/req.json" gated "$SRC_URI" "$T/out.img"
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
wait_for 60 sh -c "grep -q ' Read id=' '$T/reads.log'" ||
  die "the copy never read: $(job_field gated .state) $(job_field gated .error)"

# poll GET: seconds it took, body in $T/body
timed_get() {
  local t0 t1
  t0=$(date +%s%N)
  api GET "$1" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

# the bounded wait: the job as it is, after wait_s
ms=$(timed_get "/v1/jobs/gated?wait_s=1&until=final")
[ "$(status)" = 200 ] || die "wait_s=1: $(status) $(cat "$T/body")"
[ "$(jq -r .state "$T/body")" = running ] || die "wait_s=1: $(jq -c '{state,phase}' "$T/body")"
[ "$ms" -ge 950 ] && [ "$ms" -lt 10000 ] || die "wait_s=1 answered after $ms ms"
pass "wait_s=1 on a running job: 200 after $ms ms, still running"

# the event: a long wait, then the cancel; it answers with the end
curl -s -o "$T/waited.json" -w '%{http_code}' --unix-socket "$UCH_SOCK" \
  "http://uch/v1/jobs/gated?wait_s=60&until=final" >"$T/waited.status" &
waiter=$!
cleanup_add "kill $waiter 2>/dev/null"
# it waits: uchd counts it (and an answer before the cancel would say
# running, below)
waiting() { curl -s --unix-socket "$UCH_SOCK" http://uch/metrics | grep -qx "uch_http_waiting $1"; }
wait_for 10 waiting 1 || die "the long poll is not waiting: $(curl -s --unix-socket "$UCH_SOCK" http://uch/metrics | grep waiting)"
t0=$(date +%s%N)
api POST /v1/jobs/gated/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel: $(status) $(cat "$T/body")"
wait "$waiter" || die "curl failed"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(cat "$T/waited.status")" = 200 ] || die "long poll: $(cat "$T/waited.status") $(cat "$T/waited.json")"
[ "$(jq -r .state "$T/waited.json")" = cancelled ] ||
  die "long poll: answered $(jq -c '{state,phase}' "$T/waited.json")"
[ "$ms" -lt 30000 ] || die "long poll: answered $ms ms after the cancel"
waiting 0 || die "still counted as waiting after its answer"
pass "wait_s=60 answered $ms ms after the cancel: cancelled"

# a final job: at once
ms=$(timed_get "/v1/jobs/gated?wait_s=60&until=final")
[ "$(status)" = 200 ] && [ "$(jq -r .state "$T/body")" = cancelled ] ||
  die "final job: $(status) $(cat "$T/body")"
[ "$ms" -lt 5000 ] || die "final job: answered after $ms ms"
pass "a final job: answered at once ($ms ms)"

# until=served: an export answers once it serves
make_sparse_image "$T/disk.img" $((16 * 1024 * 1024)) 4
[ "$(submit exp '{"type":"export","id":"exp","listen":{"unix":true},"disks":[{"source":{"path":"'"$T/disk.img"'"}}]}')" = 201 ] ||
  die "export: $(cat "$T/body")"
api GET "/v1/jobs/exp?wait_s=30&until=served" >/dev/null
[ "$(status)" = 200 ] && [ "$(jq -r .phase "$T/body")" = serving ] ||
  die "until=served: $(status) $(jq -c '{state,phase,error}' "$T/body")"
pass "until=served: answered in phase serving"
api POST /v1/jobs/exp/cancel >/dev/null
api GET "/v1/jobs/exp?wait_s=30" >/dev/null
[ "$(jq -r .state "$T/body")" = cancelled ] || die "export cancel: $(jq -c '{state,phase}' "$T/body")"
pass "wait_s without until waits for the end: cancelled"

# bad values: 400 naming the parameter
bad() { # QUERY FIELD
  api GET "/v1/jobs/exp?$1" >/dev/null
  [ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = "$2" ] ||
    die "?$1: $(status) $(cat "$T/body")"
}
bad "wait_s=abc" wait_s
bad "wait_s=-1" wait_s
bad "wait_s=61" wait_s
bad "wait_s=" wait_s
bad "wait_s=5&until=soon" until
bad "until=final" until
pass "bad wait_s and until: 400 naming them ($(jq -r .error.message "$T/body"))"

# a client that goes away while waiting: uchd goes on answering
api POST /v1/jobs "$T/req.json" >/dev/null   # the same id again: resumed
curl -s --max-time 1 --unix-socket "$UCH_SOCK" "http://uch/v1/jobs/gated?wait_s=2" >/dev/null || true
api GET /v1/health >/dev/null
[ "$(status)" = 200 ] || die "health after a client left: $(status)"
kill -0 "$UCHD_PID" || die "uchd ended"
wait_for 10 waiting 0 || die "the gone client's wait is still counted"
pass "a waiting client that went away: uchd answers on, its wait ended after wait_s"

# over TCP a wait longer than its idle limit (30 s): not idle, answered
t0=$(date +%s)
code=$(curl -s -o "$T/tcp.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$UCH_TOKEN_FILE")" \
  "$UCH_URL/v1/jobs/gated?wait_s=31")
secs=$(($(date +%s) - t0))
[ "$code" = 200 ] && [ "$(jq -r .state "$T/tcp.json")" = running ] ||
  die "TCP wait_s=31: $code $(cat "$T/tcp.json")"
[ "$secs" -ge 30 ] || die "TCP wait_s=31 answered after $secs s"
pass "over TCP, wait_s=31 (past the 30 s idle limit): 200 after $secs s, running"

# uchd stopping while a client waits: the wait ends, uchd exits cleanly
curl -s -o "$T/stop.json" --unix-socket "$UCH_SOCK" \
  "http://uch/v1/jobs/gated?wait_s=60" >/dev/null &
waiter=$!
wait_for 10 waiting 1 || die "the long poll is not waiting"
t0=$(date +%s)
kill "$UCHD_PID"
rc=0
wait "$UCHD_PID" || rc=$?
wait "$waiter" || true
secs=$(($(date +%s) - t0))
[ "$rc" = 0 ] || die "uchd exited $rc on stop with a client waiting: $(tail -5 "$T/uchd.log")"
! grep -qi "panic\|suspended" "$T/uchd.log" || die "uchd: $(grep -i "panic\|suspended" "$T/uchd.log")"
[ "$secs" -lt 30 ] || die "the stop took $secs s"
pass "uchd stopped with a client waiting: exit 0 in ${secs} s, the wait ended"
