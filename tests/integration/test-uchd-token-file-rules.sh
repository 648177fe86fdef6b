#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchd refuses a token file readable by group or others, or a token
# shorter than 16 bytes, at start: it exits non-zero with a message
# naming the file and the rule, and listens on nothing.  A good file
# (0600, 16 bytes) is used as it is.
source "$UCH_TOP/tests/lib/functions.sh"
require jq

mkdir -p "$T/state" "$T/run"
refused() {                     # refused MESSAGE-PART
  local rc=0
  timeout 30 uchd --state-dir "$T/state" --runtime-dir "$T/run" \
    --listen "127.0.0.1:$(free_port)" --unix "$T/run/uchd.sock" \
    --token-file "$T/token" >"$T/uchd.out" 2>&1 || rc=$?
  [ "$rc" != 124 ] || die "uchd started: $(cat "$T/uchd.out")"
  [ "$rc" != 0 ] || die "uchd exited 0: $(cat "$T/uchd.out")"
  grep -qF "$T/token" "$T/uchd.out" || die "file not named: $(cat "$T/uchd.out")"
  grep -qF "$1" "$T/uchd.out" || die "rule not named: $(cat "$T/uchd.out")"
  [ ! -e "$T/run/uchd.sock" ] || die "a refused uchd made its socket"
}

printf '%s\n' 0123456789abcdef-long-enough >"$T/token"
chmod 0644 "$T/token"
refused "must be readable by its owner only (chmod 600)"
chmod 0640 "$T/token"
refused "must be readable by its owner only (chmod 600)"
pass "a token file readable by others or group is refused"

printf '%s\n' 0123456789abcde >"$T/token"        # 15 bytes
chmod 0600 "$T/token"
refused "is shorter than 16 bytes"
pass "a token shorter than 16 bytes is refused"

printf '%s\n' 0123456789abcdef >"$T/token"       # 16 bytes
uchd_start --token-file "$T/token"
code=$(curl -s -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer 0123456789abcdef" "$UCH_URL/v1/jobs")
[ "$code" = 200 ] || die "with the 16-byte token: $code"
pass "a 0600 file with a 16-byte token is used"
