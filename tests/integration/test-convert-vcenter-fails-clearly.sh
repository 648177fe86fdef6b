#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# input.vcenter jobs that cannot succeed fail within seconds, each with
# an error that says why, and the password is only ever a 0600 file of
# the job (virt-v2v -ip SECRET): never on a command line, in state, logs
# or API responses.  Against the tests' vCenter (tests/vcenter, govmomi's
# simulator): a wrong password, a VM it does not have, a VM powered on;
# with nothing listening: the unreachable vCenter in virt-v2v's own
# words; with VDDK asked for where no VDDK or vddk plugin exists (as
# here): the VDDK library and nbdkit's vddk plugin named.  And
# `uchctl check --vcenter` against the simulator: HTTPS answers, its
# TLS thumbprint, no NFC port (vcsim serves none).
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require jq
require python3
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
mkdir -p "$T/out"
port=$(free_port)          # nothing listens there: the "vCenter" is down
uchd_start

submit() { # ID URL VM PASSWORD-FILE VDDK-JSON-OR-EMPTY
  local vddk=${5:+, \"vddk\": $5}
  cat >"$T/$1.json" <<JSON
{"type": "convert", "id": "$1", "name": "$3",
 "input": {"vcenter": {"url": "$2", "vm": "$3", "password_file": "$4"$vddk}},
 "output": {"local": {"dir": "$T/out"}}}
JSON
  api POST /v1/jobs "$T/$1.json" >>"$T/responses.log"
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}
down="vpx://root@127.0.0.1:$port/DC1/esxi1?no_verify=1"
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
submit vddk "$down" web01 "$T/vc.pw" '{"libdir": "'"$T"'/no-vddk", "thumbprint": "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01", "transports": "nbdssl"}'
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
submit novddk "$down" web01 "$T/vc.pw" ""
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

# The tests' vCenter with VM web01 powered off and web02 powered on,
# each a blank 64 MiB disk: these jobs end before a disk is read.
truncate -s 64M "$T/blank.img"
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/blank.img" web01 debian11-64 00:50:56:0a:0b:01 "$T/vm" ||
  die "make-vmx.sh failed"
bad="vc-wrong-$RANDOM-$$-never-shown"
( umask 077; printf '%s\n' "$bad" >"$T/bad.pw" )
vcsim_start root "$T/vc.pw" -vm "web01=$T/vm" -vm "web02=$T/vm,on"

# fails ID VM PASSWORD-FILE REGEX WHAT: the job fails within 60 s with
# convert_failed, its message matching REGEX.
fails() {
  local start st msg
  start=$(date +%s)
  submit "$1" "$VCSIM_VPX" "$2" "$3" ""
  st=$(ends "$1" 60)
  [ "$st" = failed ] || die "$5: $st after 60 s (a hang?)"
  api GET "/v1/jobs/$1" >"$T/$1-job.json"
  jq -e '.error.code == "convert_failed"' "$T/$1-job.json" >/dev/null ||
    die "$5: error $(jq -c .error "$T/$1-job.json")"
  msg=$(jq -r .error.message "$T/$1-job.json")
  grep -qE "$4" <<<"$msg" || die "$5: the message does not say why: $msg"
  pass "$5: failed in $(( $(date +%s) - start )) s: $msg"
}
fails badpw web01 "$T/bad.pw" "Login failure" "a wrong password"
fails novm web09 "$T/vc.pw" "cannot find libvirt domain .web09.*not found" "a VM the vCenter does not have"
fails poweredon web02 "$T/vc.pw" "web02. is running or paused.*must be shut down" "a VM powered on"

# uchctl check --vcenter: HTTPS answers with the simulator's certificate
# (its SHA1 thumbprint as Python reads it); the NFC port is closed.
want=$(python3 -c 'import ssl, hashlib, sys
pem = ssl.get_server_certificate(("127.0.0.1", int(sys.argv[1])))
print(":".join("%02X" % b for b in hashlib.sha1(ssl.PEM_cert_to_DER_cert(pem)).digest()))' "$VCSIM_PORT")
nfc=$(free_port)
mkdir -p "$T/check-state" "$T/check-run"
rc=0; uchctl check --quick --state-dir "$T/check-state" --runtime-dir "$T/check-run" \
  --vcenter 127.0.0.1 --ports "$VCSIM_PORT,$nfc" >"$T/check.out" 2>&1 || rc=$?
[ $rc = 1 ] || die "check --vcenter: exit $rc (the NFC port is closed): $(cat "$T/check.out")"
grep -q "^ok    vcenter 127.0.0.1 tcp/$VCSIM_PORT .*answers" "$T/check.out" ||
  die "check --vcenter: HTTPS: $(cat "$T/check.out")"
grep -q "^fail  vcenter 127.0.0.1 tcp/$nfc .*Connection refused" "$T/check.out" ||
  die "check --vcenter: NFC: $(cat "$T/check.out")"
got=$(sed -n 's/^ok    vcenter 127.0.0.1 tls .*thumbprint (SHA1) //p' "$T/check.out")
[ "$got" = "$want" ] || die "check --vcenter: thumbprint '$got', want $want: $(cat "$T/check.out")"
pass "check --vcenter: HTTPS answers, thumbprint $got, NFC port closed (named)"

api GET /v1/jobs >>"$T/responses.log"
secret_nowhere "the wrong password" "$bad" "$T/ps.log" "$T/responses.log" "$T/uchd.log" \
  "$T"/state/jobs/*/state.json "$T"/state/jobs/*/job.log "$T"/state/jobs/*/request.json
secret_nowhere "the password" "$pw" "$T/ps.log" "$T/responses.log" "$T/uchd.log" \
  "$T"/state/jobs/*/state.json "$T"/state/jobs/*/job.log "$T"/state/jobs/*/request.json
[ -z "$(ls "$T/run/jobs")" ] || die "runtime dirs (secrets) left: $(ls "$T/run/jobs")"
! pgrep -f -- "(virt-v2v|nbdkit|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "the password is in no command line, file or response; nothing left"
