#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 404, 405 (+Allow), 413 (over 1 MiB, before the body is read), 415,
# 400 naming the field; none of the rejected requests writes anything,
# and garbage does not hurt uchd.
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq
require python3

uchd_start
errcode() { jq -r .error.code "$T/body"; }

api GET /v1/jobs/nosuchjob >/dev/null
[ "$(status)" = 404 ] && [ "$(errcode)" = not_found ] || die "unknown job: $(status)"
api GET /v1/nothing >/dev/null
[ "$(status)" = 404 ] && [ "$(errcode)" = not_found ] || die "unknown path: $(status)"
api POST /v1/jobs/nosuchjob/cancel >/dev/null
[ "$(status)" = 404 ] || die "cancel unknown: $(status)"
api DELETE /v1/jobs/nosuchjob >/dev/null
[ "$(status)" = 404 ] || die "delete unknown: $(status)"
api GET /v1/jobs/nosuchjob/log >/dev/null
[ "$(status)" = 404 ] || die "log unknown: $(status)"
pass "404 not_found"

allow=$(curl -s -D - -o "$T/body" -X PUT --unix-socket "$UCH_SOCK" http://uch/v1/jobs |
        tr -d '\r' | sed -n 's/^Allow: //Ip')
[ "$(errcode)" = method_not_allowed ] || die "PUT /v1/jobs: $(cat "$T/body")"
[ "$allow" = "GET, POST" ] || die "Allow: '$allow'"
api DELETE /v1/health >/dev/null
[ "$(status)" = 405 ] || die "DELETE health: $(status)"
api GET /v1/jobs/x/cancel >/dev/null
[ "$(status)" = 405 ] || die "GET cancel: $(status)"
pass "405 with Allow"

# 415: not JSON
curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$UCH_SOCK" \
  -H 'Content-Type: text/plain' --data-binary '{"type":"copy"}' \
  http://uch/v1/jobs >"$T/status"
[ "$(status)" = 415 ] && [ "$(errcode)" = unsupported_media_type ] ||
  die "text/plain body: $(status)"
pass "415 for a body that is not application/json"

# 413: 2 MiB, refused from its Content-Length
python3 -c 'import sys; sys.stdout.write("{\"type\":\"copy\",\"x\":\"" + "a"*(2*1024*1024) + "\"}")' >"$T/big.json"
api POST /v1/jobs "$T/big.json" >/dev/null
[ "$(status)" = 413 ] && [ "$(errcode)" = too_large ] || die "2 MiB body: $(status)"
# 413 also for a chunked upload with no Content-Length
curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$UCH_SOCK" \
  -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
  --data-binary "@$T/big.json" http://uch/v1/jobs >"$T/status"
[ "$(status)" = 413 ] || die "chunked 2 MiB body: $(status)"
# just under the limit: read whole, then judged on its content
python3 -c 'import sys; sys.stdout.write("{\"type\":\"copy\",\"x\":\"" + "a"*(1024*1024-40) + "\"}")' >"$T/near.json"
api POST /v1/jobs "$T/near.json" >/dev/null
[ "$(status)" = 400 ] && [ "$(errcode)" = invalid_request ] || die "body under 1 MiB: $(status)"
pass "413 too_large; a body under the limit is read"

# 400 naming the field
echo '{"type":"copy","disks":[{"source":{"path":"relative.img"},"destination":{"path":"/tmp/x"}}]}' >"$T/bad.json"
api POST /v1/jobs "$T/bad.json" >/dev/null
[ "$(status)" = 400 ] && [ "$(errcode)" = invalid_request ] || die "relative path: $(status)"
[ "$(jq -r .error.field "$T/body")" = "disks[0].source.path" ] ||
  die "field: $(cat "$T/body")"
echo '{"type":' >"$T/trunc.json"
api POST /v1/jobs "$T/trunc.json" >/dev/null
[ "$(status)" = 400 ] || die "truncated JSON: $(status)"
printf '' >"$T/empty.json"
curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$UCH_SOCK" -X POST \
  -H 'Content-Type: application/json' http://uch/v1/jobs >"$T/status"
[ "$(status)" = 400 ] || die "empty body: $(status)"
echo '{"type":"copy","id":"../evil","disks":[]}' >"$T/evil.json"
api POST /v1/jobs "$T/evil.json" >/dev/null
[ "$(status)" = 400 ] || die "bad id: $(status)"
pass "400 invalid_request with the field"

# garbage on the socket, then uchd still answers
head -c 100000 /dev/urandom | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.close()' "$UCH_SOCK" || true
printf 'GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' |
  timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.recv(1000); s.close()' "$UCH_SOCK" || true
api GET /v1/health >/dev/null
[ "$(status)" = 200 ] || die "uchd hurt by garbage"
kill -0 "$UCHD_PID" || die "uchd died"
pass "garbage does not hurt uchd"

# nothing written for any of it
[ -z "$(ls -A "$T/state/jobs")" ] || die "rejected requests left: $(ls -A "$T/state/jobs")"
[ ! -d "$T/run/jobs" ] || [ -z "$(ls -A "$T/run/jobs")" ] || die "runtime dirs left"
api GET /v1/jobs >/dev/null
[ "$(jq '.jobs | length' "$T/body")" = 0 ] || die "rejected requests listed"
pass "rejected requests wrote nothing"
