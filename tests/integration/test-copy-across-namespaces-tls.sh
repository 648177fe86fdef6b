#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cloud-to-cloud flow between two hosts: a source uchd in its own
# network namespace exports a 2 GiB disk with scattered data over
# TLS-PSK; the destination uchd (joined to it by a veth pair, own
# addresses) copies it from the nbds:// URI the export reports.
# - the copy is byte-for-byte equal, and the bytes that crossed the veth
#   are within 10 % of the allocated bytes (holes do not cross);
# - a wrong PSK is refused: the copy fails saying so, and the export's
#   log shows the refused handshake;
# - the link cut for 3 s mid-copy: the source is read by uch-job's own
#   libnbd (TCP outlives a 3 s cut; a server that goes away is
#   test-copy-source-reconnect's), and the copy still succeeds, equal;
# - no nbdkit stands between the copy and the nbds:// source, and where
#   the system has no gnutls configuration of its own, uchd started the
#   worker with ours: its log says CHACHA20-POLY1305 is disabled.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require jq
require ip
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"

MIB=$((1024 * 1024))
NS=uchsrc$$
VETH=uchv$$                     # our end; the peer is in $NS
NET=10.$(( 200 + RANDOM % 50 )).$(( RANDOM % 250 ))
cleanup_add "ip netns del $NS"
cleanup_add "ip link del $VETH"
netns_link "$NS" "$VETH" "$NET" || skip "cannot make a network namespace and a veth pair"

# 2 GiB, 64 MiB of data in 8 places
make_sparse_image "$T/disk.img" $((2048 * MIB)) 64
allocated=$(( $(stat -c %b "$T/disk.img") * 512 ))

# the source host: uchd inside the namespace, Unix socket API only
mkdir -p "$T/src-state" "$T/src-run"
mapfile -t roots < <(uchd_root_args)   # $T, as uchd_start gives
ip netns exec "$NS" uchd --state-dir "$T/src-state" --runtime-dir "$T/src-run" \
  --listen none --unix "$T/src-run/uchd.sock" \
  --token-file "$T/src-state/api-token" "${roots[@]}" >>"$T/uchd-src.log" 2>&1 &
cleanup_add "kill $!; sleep 0.2"
src_api() { # METHOD PATH [BODY]
  local args=(-s -X "$1" --unix-socket "$T/src-run/uchd.sock")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  curl "${args[@]}" "http://uch$2"
}
wait_for 10 src_api GET /v1/health >/dev/null || die "source uchd not up"
port=$(free_port)
src_api POST /v1/jobs '{"type": "export", "id": "exp", "until": "cancel",
  "disks": [{"source": {"path": "'"$T/disk.img"'"}}],
  "listen": {"tcp": "'"$NET.2:$port"'"}}' >/dev/null
serving() { [ "$(src_api GET /v1/jobs/exp | jq -r .phase)" = serving ]; }
wait_for 30 serving || die "export not serving: $(src_api GET /v1/jobs/exp | jq -c .error)"
uri=$(src_api GET /v1/jobs/exp | jq -r '.result.exports[0].uri')
case $uri in "nbds://uch@$NET.2:$port/disk0?tls-psk-file="*) ;; *) die "uri: $uri" ;; esac
pass "source exports $uri"

# the destination host: uchd in our namespace
uchd_start
submit() { # ID URI [LIMITS]
  printf '{"type": "copy", "id": "%s", %s "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}}]}\n' \
    "$1" "${3:-}" "$2" "$T/$1.img" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
}
rx() { cat "/sys/class/net/$VETH/statistics/rx_bytes"; }

before=$(rx)
submit tls "$uri"
st=$(job_wait tls 120)
[ "$st" = succeeded ] || die "tls copy ended $st: $(job_field tls .error)"
crossed=$(( $(rx) - before ))
cmp "$T/disk.img" "$T/tls.img" || die "the copy differs"
[ "$crossed" -le $(( allocated * 110 / 100 )) ] && [ "$crossed" -ge $(( allocated * 90 / 100 )) ] ||
  die "$crossed bytes crossed the veth for $allocated allocated"
pass "2 GiB disk copied equal over TLS; $crossed bytes crossed for $allocated allocated"
log=$T/state/jobs/tls/job.log
! grep -q nbdkit "$log" || die "the source was read through nbdkit: $(grep nbdkit "$log" | head -3)"
if [ -e /etc/gnutls/config ] || [ -e /etc/crypto-policies/back-ends/gnutls.config ] ||
   [ -n "${GNUTLS_SYSTEM_PRIORITY_FILE:-}" ]; then
  grep -q "read over TLS by libnbd directly" "$log" || die "the log says nothing of TLS: $(cat "$log")"
  pass "read by libnbd directly; the system's gnutls configuration chooses the cipher"
else
  grep -q "read over TLS by libnbd directly; CHACHA20-POLY1305 disabled.*GNUTLS_SYSTEM_PRIORITY_FILE=$T/run/gnutls.conf" "$log" ||
    die "the worker's gnutls allows CHACHA20-POLY1305: $(grep -i tls "$log")"
  pass "read by libnbd directly, CHACHA20-POLY1305 disabled (uchd's gnutls.conf)"
fi

# a wrong PSK
( umask 077; echo "uch:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/wrong.psk" )
submit wrong "nbds://uch@$NET.2:$port/disk0?tls-psk-file=$T/wrong.psk"
st=$(job_wait wrong 120)
[ "$st" = failed ] || die "wrong PSK: job ended $st"
msg=$(job_field wrong .error.message)
grep -qiE 'tls|handshake|psk|decrypt' <<<"$msg" || die "wrong PSK message: $msg"
! grep -q "$(cut -d: -f2 "$T/wrong.psk")" <<<"$msg" || die "the message shows the key: $msg"
case $msg in *"tls-psk-file=$T/wrong.psk"*) ;; *) die "the message does not name the request's source: $msg" ;; esac
grep -qiE 'tls|psk|handshake' "$T/src-state/jobs/exp/job.log" ||
  die "the export's log says nothing of the refused client"
[ "$(src_api GET /v1/jobs/exp | jq -r .phase)" = serving ] || die "export stopped"
pass "wrong PSK refused: $msg"

# the link cut for 3 s in the middle of a copy held to 80 Mbit/s
submit cut "$uri" '"limits": {"bandwidth": "80M"},'
copying() { [ "$(job_field cut .phase)" = copying ]; }
wait_for 30 copying || die "cut: never copying: $(job_field cut .error)"
sleep 2
ip link set "$VETH" down
sleep 3
ip link set "$VETH" up
st=$(job_wait cut 180)
[ "$st" = succeeded ] || die "after a 3 s cut the copy ended $st: $(job_field cut .error)"
cmp "$T/disk.img" "$T/cut.img" || die "the copy after the cut differs"
pass "a 3 s cut of the link mid-copy: succeeded, equal"

src_api POST /v1/jobs/exp/cancel >/dev/null
