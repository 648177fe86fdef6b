#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Denial of service without a token: 1100 half-open TCP connections (a
# request's first lines, then silence) against a uchd held to 1024
# descriptors.  uchd bounds its TCP connections (a total, a per-address
# limit, an idle timeout), so it keeps its descriptors, and the Unix
# socket answers health and takes a job that runs to its end while the
# flood holds; another loopback address still gets TCP answers.  And
# libmicrohttpd is strict: a request with both Content-Length and
# Transfer-Encoding, or two Content-Lengths, is 400, never read as a
# body of one length or the other.
# uch-test: timeout=300
source "$UCH_TOP/tests/lib/functions.sh"
require jq
require prlimit

uchd_start
prlimit --pid "$UCHD_PID" --nofile=1024:1024
token=$(cat "$UCH_TOKEN_FILE")

python3 "$UCH_TOP/tests/lib/tcp-flood.py" 127.0.0.1 "$UCH_PORT" 1100 \
  "$T/flood.ready" "$T/flood.stop" 240 >"$T/flood.out" 2>&1 &
flood=$!
cleanup_add "kill $flood"
wait_for 60 test -e "$T/flood.ready" || die "the flood did not start"
grep -q '^opened 1100$' "$T/flood.ready" || die "flood: $(cat "$T/flood.ready")"
# a lone half-open connection from another address, to see it timed out
python3 "$UCH_TOP/tests/lib/tcp-flood.py" 127.0.0.1 "$UCH_PORT" 1 \
  "$T/idle.ready" "$T/idle.stop" 120 127.0.0.3 >"$T/idle.out" 2>&1 &
idle=$!
cleanup_add "kill $idle"
# uchd has accepted all it will: its descriptors are bounded
sleep 2
fds=$(find "/proc/$UCHD_PID/fd" -mindepth 1 | wc -l)
[ "$fds" -lt 600 ] || die "uchd holds $fds descriptors under the flood"
pass "1100 half-open connections: uchd holds $fds descriptors"

health() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
[ "$(health --unix-socket "$UCH_SOCK" http://uch/v1/health)" = 200 ] ||
  die "health on the Unix socket failed under the flood: $(tail -5 "$T/uchd.log")"
head -c 4M /dev/urandom >"$T/src.img"
printf '{"type":"copy","id":"f1","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
  "$T/src.img" "$T/dst.img" >"$T/f1.json"
job_succeeds f1 "$T/f1.json" 120
cmp "$T/src.img" "$T/dst.img" || die "copy differs"
pass "the Unix socket answers health and runs a job under the flood"

[ "$(health --interface 127.0.0.2 -H "Authorization: Bearer $token" \
      "$UCH_URL/v1/jobs/f1")" = 200 ] ||
  die "TCP from 127.0.0.2 not answered under the flood"
pass "another address still gets TCP answers (per-address limit)"

kill -0 "$UCHD_PID" || die "uchd died"
touch "$T/flood.stop"
wait "$flood" || true
read -r _ opened _ closed <"$T/flood.out" || die "flood: $(cat "$T/flood.out")"
[ "$closed" -gt 0 ] || die "uchd closed none of the $opened connections"
pass "uchd refused or closed $closed of $opened flood connections"

# the lone idle one is dropped by the idle timeout (30 s): the
# flooder ends when the server closed all it opened
wait "$idle" || true
[ "$(cat "$T/idle.out")" = "opened 1 closed 1" ] ||
  die "an idle connection was kept: $(cat "$T/idle.out")"
pass "an idle half-open connection is closed by uchd"

# conflicting framing: never read as one length or the other
raw() {
  python3 - "$UCH_SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode())
print(s.makefile("rb").readline().decode().rstrip())
PY
}
body='{"type":"copy"}'
r=$(raw "POST /v1/jobs HTTP/1.1\r\nHost: uch\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nf\r\n$body\r\n0\r\n\r\n")
[[ $r == "HTTP/1.1 400"* ]] || die "Content-Length with Transfer-Encoding: $r"
r=$(raw "POST /v1/jobs HTTP/1.1\r\nHost: uch\r\nContent-Type: application/json\r\nContent-Length: 15\r\nContent-Length: 4\r\nConnection: close\r\n\r\n$body")
[[ $r == "HTTP/1.1 400"* ]] || die "two Content-Lengths: $r"
r=$(raw "POST /v1/jobs HTTP/1.1\r\nHost: uch\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n")
[[ $r == "HTTP/1.1 "[45]* ]] || die "Transfer-Encoding gzip: $r"
pass "conflicting Content-Length / Transfer-Encoding refused"
