#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Under systemd (Type=notify, WatchdogSec=): uchd says READY=1, keeps
# STATUS= up to date ("N running, M queued"), pings the watchdog, and says
# STOPPING=1 on SIGTERM; its workers do not inherit NOTIFY_SOCKET.
source "$UCH_TOP/tests/lib/functions.sh"
require python3
require nbdkit
require jq

python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            if line:
                log.write(line + "\n")
PY
cleanup_add "kill $!"
wait_for 5 test -S "$T/notify.sock" || die "no notify socket"

slow_nbd_source slow 16 32M
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 uchd_start --max-jobs 1
wait_for 5 grep -qx 'READY=1' "$T/notify.log" || die "no READY=1: $(cat "$T/notify.log")"
pass "READY=1"

copy_request "$T/a.json" na "$SRC_URI" "$T/a.img"
copy_request "$T/b.json" nb "$SRC_URI" "$T/b.img"
api POST /v1/jobs "$T/a.json" >/dev/null
api POST /v1/jobs "$T/b.json" >/dev/null
wait_for 5 grep -qx 'STATUS=1 running, 1 queued' "$T/notify.log" ||
  die "no STATUS with one queued: $(cat "$T/notify.log")"
pass "STATUS=1 running, 1 queued"

pings() { [ "$(grep -c '^WATCHDOG=1$' "$T/notify.log")" -ge 2 ]; }
wait_for 5 pings ||
  die "no watchdog pings: $(cat "$T/notify.log")"
pass "watchdog pings"

worker=$(jq -r .worker.pid "$T/state/jobs/na/state.json")
tr '\0' '\n' <"/proc/$worker/environ" | grep -q '^NOTIFY_SOCKET=' &&
  die "the worker inherited NOTIFY_SOCKET"
pass "workers do not inherit NOTIFY_SOCKET"

[ "$(job_wait nb 120)" = succeeded ] || die "nb: $(job_field nb .error)"
wait_for 5 grep -qx 'STATUS=0 running, 0 queued' "$T/notify.log" ||
  die "no final STATUS: $(tail -3 "$T/notify.log")"
uchd_stop
wait_for 5 grep -qx 'STOPPING=1' "$T/notify.log" || die "no STOPPING=1"
pass "STATUS back to idle, STOPPING=1 on SIGTERM"
