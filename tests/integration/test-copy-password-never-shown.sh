#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An nbdkit source with a password (curl plugin, HTTP server checking
# what it receives): the password reaches the server, yet it never
# appears in any command line during the job, nor in state.json,
# job.log, request.json or any API response.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require python3
require jq
[ -e "$(nbdkit --dump-config | sed -n 's/^plugindir=//p')/nbdkit-curl-plugin.so" ] ||
  skip "nbdkit curl plugin not installed"

truncate -s 8M "$T/disk.img"
dd if=/dev/urandom of="$T/disk.img" bs=1M count=2 seek=3 conv=notrunc status=none
python3 "$UCH_TOP/tests/lib/range-http-server.py" "$T/disk.img" "$T/port" \
  "$T/auth.log" 0.1 &
cleanup_add "kill $!"
wait_for 10 test -s "$T/port" || die "HTTP server did not start"
uchd_start

password="Pa55-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$T/req.json" <<JSON
{"type": "copy", "id": "pw", "disks": [
  {"source": {"nbdkit": {"plugin": "curl", "user": "bob", "password": "$password",
                         "url": "http://127.0.0.1:$(cat "$T/port")/disk.img"}},
   "destination": {"path": "$T/copy.img"}}]}
JSON
api POST /v1/jobs "$T/req.json" >"$T/submit.json"
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"

# Watch every command line while the job runs.
: >"$T/ps.log"
for _ in $(seq 300); do
  ps -eo args >>"$T/ps.log"
  st=$(api GET /v1/jobs/pw | tee -a "$T/responses.log" | jq -r .state)
  case $st in succeeded|failed|cancelled) break ;; esac
  sleep 0.05
done
[ "$st" = succeeded ] || die "job $st: $(api GET /v1/jobs/pw | jq -c .error)"
grep -q "nbdkit.*curl" "$T/ps.log" || die "nbdkit was never seen running"
grep -q "password=+$T/run/jobs/pw/secrets/" "$T/ps.log" ||
  die "nbdkit did not get the password as a file"
cmp "$T/disk.img" "$T/copy.img" || die "copy differs"
pass "copied, password given to nbdkit as a file"

expected=$(printf 'bob:%s' "$password" | base64)
grep -q "Basic $expected" "$T/auth.log" || die "the server never got the password"
pass "the HTTP server received the password"

api GET /v1/jobs >>"$T/responses.log"
api GET /v1/jobs/pw >>"$T/responses.log"
secret_nowhere "the password" "$password" "$T/ps.log" "$T/submit.json" \
  "$T/responses.log" "$T/state/jobs/pw/state.json" "$T/state/jobs/pw/job.log" \
  "$T/state/jobs/pw/request.json" "$T/uchd.log"
pass "the password is in no command line, file or response"
[ ! -e "$T/run/jobs/pw" ] || die "secrets left in the runtime dir"
pass "secrets removed with the runtime dir"
