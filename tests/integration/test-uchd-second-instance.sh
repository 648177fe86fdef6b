#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A second uchd started by mistake touches nothing of the first one's:
# with the same state dir it stops at STATE/uchd.lock, naming the first
# one's pid; with another state dir but the same Unix socket it leaves
# the socket alone.  Either way it exits non-zero and the first one still
# answers on its socket.
source "$UCH_TOP/tests/lib/functions.sh"
require jq

uchd_start
sock_ino=$(stat -c %i "$UCH_SOCK")
# what a submit in progress looks like: a second uchd's start-up
# cleaning would remove it
mkdir -p "$T/state/jobs/.new-inflight-abc123"

second() {
  local rc=0
  timeout 30 uchd --runtime-dir "$T/run" --unix "$UCH_SOCK" \
    --listen "127.0.0.1:$(free_port)" "$@" >"$T/second.log" 2>&1 || rc=$?
  [ "$rc" != 124 ] || die "second uchd kept running: $(cat "$T/second.log")"
  [ "$rc" != 0 ] || die "second uchd exited 0: $(cat "$T/second.log")"
}

first_answers() {
  [ "$(stat -c %i "$UCH_SOCK")" = "$sock_ino" ] ||
    die "the first uchd's socket was replaced or removed"
  api GET /v1/health >/dev/null
  [ "$(status)" = 200 ] || die "first uchd does not answer: $(status)"
  kill -0 "$UCHD_PID" || die "first uchd died"
}

second --state-dir "$T/state" --token-file "$UCH_TOKEN_FILE"
grep -q "another uchd (pid $UCHD_PID) is running with state dir $T/state" \
  "$T/second.log" || die "message: $(cat "$T/second.log")"
first_answers
[ -d "$T/state/jobs/.new-inflight-abc123" ] ||
  die "the second uchd removed the first one's submit in progress"
pass "same state dir: refused, naming pid $UCHD_PID; nothing touched"

mkdir -p "$T/state2"
second --state-dir "$T/state2" --token-file "$T/state2/api-token"
grep -q "$UCH_SOCK: another process is listening on it; not removed" \
  "$T/second.log" || die "message: $(cat "$T/second.log")"
first_answers
pass "same Unix socket: refused, the socket left alone"

# the first one gone (kill -9: no clean-up), a new one starts at once
kill -9 "$UCHD_PID"; wait "$UCHD_PID" 2>/dev/null || true
uchd_start
api GET /v1/health >/dev/null
[ "$(status)" = 200 ] || die "restart after kill -9: $(status)"
pass "after kill -9 of the first, the lock and the stale socket are free"
