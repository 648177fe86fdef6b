#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# input.vcenter where no vCenter, VDDK or vddk plugin exists (as here):
# each job fails within seconds, its error naming what is missing (the
# VDDK library and nbdkit's vddk plugin; the unreachable vCenter in
# virt-v2v's own words), and the password is only ever a 0600 file of
# the job (virt-v2v -ip SECRET): never on a command line, in state, logs
# or API responses.
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require jq
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
mkdir -p "$T/out"
port=$(free_port)          # nothing listens there: the "vCenter" is down
uchd_start

submit() { # ID VDDK-JSON-OR-EMPTY
  local vddk=${2:+, \"vddk\": $2}
  cat >"$T/$1.json" <<JSON
{"type": "convert", "id": "$1", "name": "web01",
 "input": {"vcenter": {"url": "vpx://root@127.0.0.1:$port/DC1/esxi1?no_verify=1",
                       "vm": "web01", "password_file": "$T/vc.pw"$vddk}},
 "output": {"local": {"dir": "$T/out"}}}
JSON
  api POST /v1/jobs "$T/$1.json" >>"$T/responses.log"
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}
# ends ID LIMIT: waits, sampling every command line meanwhile
ends() {
  local st
  for _ in $(seq $(($2 * 10))); do
    ps -eo args >>"$T/ps.log"
    st=$(api GET "/v1/jobs/$1" | tee -a "$T/responses.log" | jq -r .state)
    case $st in succeeded|failed|cancelled) echo "$st"; return ;; esac
    sleep 0.1
  done
  echo "$st"
}

start=$(date +%s)
submit vddk '{"libdir": "'"$T"'/no-vddk", "thumbprint": "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01", "transports": "nbdssl"}'
st=$(ends vddk 30)
[ "$st" = failed ] || die "vddk job: $st after 30 s (a hang?)"
api GET /v1/jobs/vddk >"$T/vddk-job.json"
jq -e '.error.code == "missing_dependency"' "$T/vddk-job.json" >/dev/null ||
  die "vddk error: $(jq -c .error "$T/vddk-job.json")"
msg=$(jq -r .error.message "$T/vddk-job.json")
grep -qF "no VDDK library at $T/no-vddk/lib64/libvixDiskLib.so*" <<<"$msg" ||
  die "message does not name the missing library: $msg"
if [ "$(nbdkit vddk --version >/dev/null 2>&1; echo $?)" != 0 ]; then
  grep -qF "nbdkit has no vddk plugin" <<<"$msg" || die "message does not name the missing plugin: $msg"
fi
pass "with VDDK: failed in $(( $(date +%s) - start )) s: $msg"

start=$(date +%s)
submit novddk ""
st=$(ends novddk 120)
[ "$st" = failed ] || die "job without VDDK: $st after 120 s (a hang?)"
api GET /v1/jobs/novddk >"$T/novddk-job.json"
jq -e '.error.code == "convert_failed"' "$T/novddk-job.json" >/dev/null ||
  die "error: $(jq -c .error "$T/novddk-job.json")"
msg=$(jq -r .error.message "$T/novddk-job.json")
grep -q "127.0.0.1" <<<"$msg" && grep -qi "connect" <<<"$msg" ||
  die "message does not say the vCenter cannot be reached: $msg"
grep -qF -- "-ic 'vpx://root@127.0.0.1:$port/DC1/esxi1?no_verify=1' -ip $T/run/jobs/novddk/secrets/input.vcenter.password_file web01" \
  "$T/state/jobs/novddk/job.log" ||
  die "virt-v2v's command line: $(grep running: "$T/state/jobs/novddk/job.log")"
pass "without VDDK: failed in $(( $(date +%s) - start )) s with virt-v2v's words: $msg"

api GET /v1/jobs >>"$T/responses.log"
secret_nowhere "the password" "$pw" "$T/ps.log" "$T/responses.log" "$T/uchd.log" \
  "$T"/state/jobs/*/state.json "$T"/state/jobs/*/job.log "$T"/state/jobs/*/request.json
[ ! -e "$T/run/jobs/novddk" ] && [ ! -e "$T/run/jobs/vddk" ] || die "runtime dir (secret) left"
! pgrep -f -- "(virt-v2v|nbdkit|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "the password is in no command line, file or response; nothing left"
