#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /v1/health answers without a token; every other route over TCP needs
# the right bearer token (401 without or with a wrong one); the Unix
# socket needs none.  The token file is created 0600 when missing.
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq

uchd_start
[ -f "$UCH_TOKEN_FILE" ] || die "no token file created"
[ "$(stat -c %a "$UCH_TOKEN_FILE")" = 600 ] || die "token file is not 0600"
token=$(cat "$UCH_TOKEN_FILE")
[ ${#token} -ge 32 ] || die "token too short: ${#token}"
pass "token file created 0600"

tcp() { # tcp PATH [curl args]: prints the HTTP status, body in $T/tbody
  local path=$1; shift
  curl -s -o "$T/tbody" -w '%{http_code}' "$@" "$UCH_URL$path"
}

[ "$(tcp /v1/health)" = 200 ] || die "health over TCP without token: not 200"
jq -e '.status == "ok" and (.version | length > 0)' "$T/tbody" >/dev/null ||
  die "health body: $(cat "$T/tbody")"
jq -e '.capabilities.nbdkit.version and (.capabilities.nbdkit.plugins | index("file"))
       and (.capabilities.nbdkit.filters | index("rate"))
       and .capabilities.nbdcopy.version and .capabilities["qemu-img"].version
       and (.capabilities.kvm | type == "boolean") and (.capabilities.kvm_message | type == "string") and .capabilities.vddk == false
       and .slots.max >= 1 and .slots.running == 0 and .slots.queued == 0' \
  "$T/tbody" >/dev/null || die "health capabilities: $(cat "$T/tbody")"
pass "health without token, with capabilities and slots"

[ "$(tcp /v1/jobs)" = 401 ] || die "jobs over TCP without token: not 401"
jq -e '.error.code == "unauthorized"' "$T/tbody" >/dev/null ||
  die "401 body: $(cat "$T/tbody")"
grep -q "$token" "$T/tbody" && die "401 body shows the token"
[ "$(tcp /v1/jobs -H "Authorization: Bearer ${token}x")" = 401 ] ||
  die "longer wrong token accepted"
[ "$(tcp /v1/jobs -H "Authorization: Bearer ${token%?}")" = 401 ] ||
  die "shorter wrong token accepted"
[ "$(tcp /metrics)" = 401 ] || die "metrics over TCP without token: not 401"
[ "$(tcp /v1/nothing)" = 401 ] || die "unknown route without token: not 401"
pass "401 without or with a wrong token"

[ "$(tcp /v1/jobs -H "Authorization: Bearer $token")" = 200 ] ||
  die "jobs with the token: not 200"
jq -e '.jobs == []' "$T/tbody" >/dev/null || die "jobs body: $(cat "$T/tbody")"
pass "200 with the token"

api GET /v1/jobs >/dev/null
[ "$(status)" = 200 ] || die "Unix socket without token: $(status)"
pass "Unix socket needs no token"

# A restart keeps the same token.
uchd_restart
[ "$(cat "$UCH_TOKEN_FILE")" = "$token" ] || die "token changed on restart"
pass "token kept across restarts"
