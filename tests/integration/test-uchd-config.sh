#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchd's command line and config file as a user meets them: --help and
# --version, exit 2 with a message naming the flag or the file's line and
# key, a non-loopback listener refused without TLS, a config file whose
# settings are used (flags win), TLS with a bearer token, and socket
# activation (Unix and TCP).
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq

uchd --help | grep -q -- '--max-jobs' || die "--help"
uchd --version | grep -Eq '^uchd [0-9]' || die "--version: $(uchd --version)"
pass "--help and --version"

expect_exit2() { # expect_exit2 WORDS -- ARGS...
  local words=$1; shift
  local rc=0
  uchd "$@" >"$T/out" 2>&1 || rc=$?
  [ "$rc" = 2 ] || die "uchd $*: exit $rc, not 2: $(cat "$T/out")"
  grep -qF -- "$words" "$T/out" || die "uchd $*: message lacks '$words': $(cat "$T/out")"
}
expect_exit2 "--bogus" --bogus
expect_exit2 "--max-jobs" --max-jobs zero
expect_exit2 "--state-dir" --state-dir relative/dir
printf 'state_dir = %s\n# fine\ncolour = blue\n' "$T/s" >"$T/bad.conf"
expect_exit2 "line 3" --config "$T/bad.conf"
expect_exit2 "colour" --config "$T/bad.conf"
expect_exit2 "tls" --state-dir "$T/s" --runtime-dir "$T/r" --listen 0.0.0.0:1
[ ! -e "$T/s" ] || die "a refused start created files"
pass "bad flags and config: exit 2 naming the flag, line and key"

# a config file: its settings are used; a flag wins over it
port=$(free_port)
cat >"$T/uchd.conf" <<EOC
# test config
state_dir = $T/cstate
runtime_dir = $T/crun
listen = 127.0.0.1:$port
max_jobs = 7
EOC
uchd --config "$T/uchd.conf" --max-jobs 3 >>"$T/uchd-conf.log" 2>&1 &
pid=$!
cleanup_add "kill $pid"
wait_for 10 test -S "$T/crun/uchd.sock" || die "no socket from the config's runtime_dir: $(cat "$T/uchd-conf.log")"
[ "$(stat -c %a "$T/crun/uchd.sock")" = 660 ] || die "socket mode $(stat -c %a "$T/crun/uchd.sock")"
[ -f "$T/cstate/api-token" ] || die "no token in the config's state_dir"
curl -s "http://127.0.0.1:$port/v1/health" | jq -e '.slots.max == 3' >/dev/null ||
  die "max_jobs: the flag did not win"
kill "$pid"; wait "$pid" 2>/dev/null || rc=$?
[ "${rc:-0}" = 0 ] || die "SIGTERM: exit $rc"
pass "config file used, flag wins, socket 0660, SIGTERM exits 0"

# TLS, on a non-loopback address if there is one (else loopback)
if command -v certtool >/dev/null; then
  certtool --generate-privkey --outfile "$T/key.pem" >/dev/null 2>&1
  printf 'cn = uch-test\nexpiration_days = 2\nip_address = 127.0.0.1\ntls_www_server\nsigning_key\nencryption_key\n' >"$T/cert.tmpl"
  certtool --generate-self-signed --load-privkey "$T/key.pem" \
    --template "$T/cert.tmpl" --outfile "$T/cert.pem" >/dev/null 2>&1
  chmod 600 "$T/key.pem"
  tport=$(free_port)
  uchd --state-dir "$T/tstate" --runtime-dir "$T/trun" --listen "0.0.0.0:$tport" \
       --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" >>"$T/uchd-tls.log" 2>&1 &
  tpid=$!
  cleanup_add "kill $tpid"
  wait_for 10 test -S "$T/trun/uchd.sock" || die "TLS uchd did not start: $(cat "$T/uchd-tls.log")"
  wait_for 5 curl -sf --cacert "$T/cert.pem" "https://127.0.0.1:$tport/v1/health" -o /dev/null ||
    die "https health: $(cat "$T/uchd-tls.log")"
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" "https://127.0.0.1:$tport/v1/jobs")
  [ "$code" = 401 ] || die "https without token: $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" \
         -H "Authorization: Bearer $(cat "$T/tstate/api-token")" "https://127.0.0.1:$tport/v1/jobs")
  [ "$code" = 200 ] || die "https with token: $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$tport/v1/health" || true)
  [ "$code" != 200 ] || die "plain HTTP served on a TLS listener"
  pass "TLS on 0.0.0.0: health, 401 without token, 200 with"
else
  echo "# TLS part skipped: no certtool (gnutls-bin)"
fi

# socket activation: a Unix socket and a TCP one handed over by systemd
if command -v systemd-socket-activate >/dev/null; then
  aport=$(free_port)
  mkdir -p "$T/astate" "$T/arun"
  systemd-socket-activate -l "$T/act.sock" -l "127.0.0.1:$aport" \
    "$UCH_BUILD/uchd" --state-dir "$T/astate" --runtime-dir "$T/arun" \
    >>"$T/uchd-act.log" 2>&1 &
  apid=$!
  cleanup_add "kill $apid"
  wait_for 10 curl -sf --unix-socket "$T/act.sock" http://uch/v1/jobs -o /dev/null ||
    die "socket-activated Unix socket: $(cat "$T/uchd-act.log")"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$aport/v1/jobs")
  [ "$code" = 401 ] || die "socket-activated TCP without token: $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$aport/v1/health")
  [ "$code" = 200 ] || die "socket-activated TCP health: $code"
  [ ! -e "$T/arun/uchd.sock" ] || die "bound its own socket despite activation"
  pass "socket activation: Unix without token, TCP with"
else
  echo "# socket activation part skipped: no systemd-socket-activate (systemd)"
fi
