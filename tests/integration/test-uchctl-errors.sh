#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchctl's failures: the server's message and exit 1 for a bad request or
# a failed job, usage and exit 2, "cannot reach" and exit 3.
source "$UCH_TOP/tests/lib/functions.sh"
require jq

expect_exit() { # expect_exit N CMD...: runs CMD, stderr to $T/err
  local want=$1 rc=0; shift
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -eq "$want" ] || die "'$*' exited $rc, not $want: $(cat "$T/err")"
}

# Nothing to talk to.
expect_exit 3 uchctl --socket "$T/nothing.sock" list
grep -qx "uchctl: cannot reach uchd at $T/nothing.sock: No such file or directory" "$T/err" \
  || die "unreachable socket: $(cat "$T/err")"
grep -q "systemctl status uchd.*--socket PATH or UCH_SOCKET" "$T/err" ||
  die "unreachable socket, no hint: $(cat "$T/err")"
port=$(free_port)
expect_exit 3 uchctl --url "http://127.0.0.1:$port" health
grep -qx "uchctl: cannot reach uchd at http://127.0.0.1:$port: Connection refused" "$T/err" \
  || die "unreachable url: $(cat "$T/err")"
grep -q "systemctl status uchd.*another --url" "$T/err" || die "unreachable url, no hint: $(cat "$T/err")"
pass "unreachable: exit 3, the reason and a hint (systemctl status uchd, --socket)"

# a usage error is one line and a hint, as git and kubectl say it, not
# the whole help
expect_exit 2 uchctl frobnicate
[ "$(cat "$T/err")" = "uchctl: unknown command 'frobnicate'"$'\n'"Try 'uchctl --help'." ] ||
  die "unknown command: $(cat "$T/err")"
expect_exit 2 uchctl list --bogus
[ "$(wc -l <"$T/err")" = 2 ] && grep -qx "Try 'uchctl --help'." "$T/err" ||
  die "unknown flag: $(cat "$T/err")"
[ -s "$T/out" ] && die "usage went to stdout"
expect_exit 2 uchctl logs
[ "$(cat "$T/err")" = "uchctl: 'logs' takes one job id"$'\n'"Try 'uchctl logs --help'." ] ||
  die "logs without an id: $(cat "$T/err")"
expect_exit 0 uchctl --help
grep -q '^Usage: uchctl' "$T/out" || die "--help"
expect_exit 0 uchctl --version
grep -qx "uchctl $(cat "$UCH_TOP/VERSION")" "$T/out" || die "--version: $(cat "$T/out")"
pass "usage errors exit 2 with one line and a hint on stderr; --help, --version"

# each command's help: uchctl CMD --help, uchctl help CMD, the same
for cmd in submit list show wait cancel delete logs health check sync cutover; do
  expect_exit 0 uchctl "$cmd" --help
  grep -q "^Usage: uchctl $cmd" "$T/out" || die "$cmd --help: $(cat "$T/out")"
  cp "$T/out" "$T/cmd-help"
  expect_exit 0 uchctl help "$cmd"
  cmp -s "$T/out" "$T/cmd-help" || die "help $cmd differs from $cmd --help"
done
expect_exit 0 uchctl logs x --help
grep -q -- '-f, --follow' "$T/out" || die "logs --help: $(cat "$T/out")"
expect_exit 2 uchctl help frobnicate
grep -qx "uchctl: unknown command 'frobnicate'" "$T/err" || die "help frobnicate: $(cat "$T/err")"
expect_exit 0 uchctl help
grep -q '^Usage: uchctl' "$T/out" || die "help: $(cat "$T/out")"
pass "uchctl CMD --help and uchctl help CMD for every command"

uchd_start
export UCH_SOCKET=$UCH_SOCK

echo '{"type":"copy","disks":[{"source":{"path":"relative"},"destination":{"path":"/tmp/x"}}]}' >"$T/bad.json"
expect_exit 1 uchctl submit "$T/bad.json"
msg=$(api POST /v1/jobs "$T/bad.json" | jq -r .error.message)
[ -n "$msg" ] && [ "$msg" != null ] || die "the API gave no message"
grep -qxF "uchctl: $msg" "$T/err" || die "bad request: '$(cat "$T/err")', server said '$msg'"
expect_exit 1 uchctl --json submit "$T/bad.json"
jq -e '.error.field == "disks[0].source.path"' "$T/out" >/dev/null \
  || die "--json error body: $(cat "$T/out")"
echo 'not json' | expect_exit 1 uchctl submit -
grep -q '^uchctl: ' "$T/err" || die "non-JSON request: $(cat "$T/err")"
expect_exit 1 uchctl submit "$T/missing.json"
grep -q "missing.json: No such file or directory" "$T/err" || die "missing file: $(cat "$T/err")"
pass "a bad request prints the server's message, exit 1"

expect_exit 1 uchctl show no-such-job
grep -q '^uchctl: ' "$T/err" || die "unknown job: $(cat "$T/err")"
pass "unknown job: exit 1"

# A copy from an NBD socket nobody serves fails; wait says why.
printf '{"type":"copy","disks":[{"source":{"nbd":"nbd+unix:///?socket=%s"},"destination":{"path":"%s"}}]}\n' \
  "$T/nobody.sock" "$T/out.img" >"$T/fail.json"
id=$(uchctl submit "$T/fail.json") || die "submit failed"
expect_exit 1 uchctl wait "$id" --timeout 60
err=$(api GET "/v1/jobs/$id" | jq -r .error.message)
grep -qxF "uchctl: job $id failed: $err" "$T/err" || die "wait on a failed job: $(cat "$T/err")"
grep -qx "$id: failed" "$T/out" || die "wait's last line: $(cat "$T/out")"
pass "wait exits 1 on a failed job, with its error"

# Over TCP: the token is needed and sent, never shown.
expect_exit 0 uchctl --url "$UCH_URL" --token-file "$UCH_TOKEN_FILE" list
token=$(cat "$UCH_TOKEN_FILE")
grep -qF "$token" "$T/out" "$T/err" && die "the token was printed"
echo wrong >"$T/wrong-token"
expect_exit 1 uchctl --url "$UCH_URL" --token-file "$T/wrong-token" list
UCH_TOKEN_FILE=$UCH_TOKEN_FILE expect_exit 0 uchctl --url "$UCH_URL/" show "$id"
{ head -1 "$UCH_TOKEN_FILE"; echo "# a second line is not the token"; } >"$T/two-lines"
expect_exit 0 uchctl --url "$UCH_URL" --token-file "$T/two-lines" list
pass "TCP with the bearer token; a wrong token is refused"
