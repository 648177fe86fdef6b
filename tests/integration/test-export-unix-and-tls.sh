#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Export jobs: over a Unix socket (read back by nbdcopy, equal; cancel
# ends it), over TCP with TLS-PSK (a wrong key is refused, the right one
# reads the disk), until=client-done (the job succeeds when the last
# client leaves) and until=disks-done (serving while a disk is unread,
# succeeded once every disk was read; over TCP its phase idle while it
# waits out idle_s, and another export on its port with port_wait_s
# serving once it has ended, one whose wait runs out failing naming the
# port).  The PSK's content never shows in the job.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require nbdinfo
require jq

make_sparse_image "$T/disk.img" $((64 * 1024 * 1024)) 16
uchd_start

submit() { # ID REQUEST-JSON
  echo "$2" >"$T/req-$1.json"
  api POST /v1/jobs "$T/req-$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
  wait_for 30 sh -c "curl -s --unix-socket '$UCH_SOCK' http://uch/v1/jobs/$1 |
    jq -e '.phase == \"serving\" or .state != \"running\" and .state != \"queued\"' >/dev/null" ||
    die "$1 never serving"
  api GET "/v1/jobs/$1" >"$T/$1.json"
  [ "$(jq -r .phase "$T/$1.json")" = serving ] || die "$1: $(jq -c . "$T/$1.json")"
}

# --- Unix socket, until cancel
submit unix '{"type": "export", "id": "unix", "listen": {"unix": true},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}, "name": "vm-disk"}]}'
uri=$(jq -r '.result.exports[0].uri' "$T/unix.json")
[ "$uri" = "nbd+unix:///vm-disk?socket=$T/run/jobs/unix/nbd.sock" ] ||
  die "unix uri: $uri"
[ "$(jq -r '.result.exports[0].name' "$T/unix.json")" = vm-disk ] || die "name"
nbdcopy "$uri" "$T/back-unix.img" || die "nbdcopy from the export failed"
cmp "$T/disk.img" "$T/back-unix.img" || die "read back differs"
pass "Unix export read back equal"
! nbdcopy "$uri" "nbd+unix:///vm-disk?socket=$T/run/jobs/unix/nbd.sock" 2>/dev/null ||
  die "the export is writable"
pass "export is read-only"
api POST /v1/jobs/unix/cancel >/dev/null
[ "$(job_wait unix 30)" = cancelled ] || die "unix export not cancelled"
[ ! -e "$T/run/jobs/unix" ] || die "runtime dir left"
pass "cancel ends the export"

# --- TCP + TLS-PSK, generated key, until cancel
port=$(free_port)
submit tls '{"type": "export", "id": "tls", "listen": {"tcp": "127.0.0.1:'"$port"'"},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}}]}'
psk=$(jq -r .result.tls_psk_file "$T/tls.json")
uri=$(jq -r '.result.exports[0].uri' "$T/tls.json")
[ "$psk" = "$T/run/jobs/tls/tls.psk" ] || die "psk file: $psk"
[ "$uri" = "nbds://uch@127.0.0.1:$port/disk0?tls-psk-file=$psk" ] || die "tls uri: $uri"
[ "$(stat -c %a "$psk")" = 600 ] || die "psk mode $(stat -c %a "$psk")"
grep -Eq '^uch:[0-9a-f]{64}$' "$psk" || die "psk content shape"
key=$(cut -d: -f2 "$psk")
for f in "$T/state/jobs/tls/state.json" "$T/state/jobs/tls/job.log" "$T/tls.json"; do
  ! grep -q "$key" "$f" || die "the PSK shows in $f"
done
pass "generated PSK: 0600, only its path in the job"

echo "uch:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/wrong.psk"
if nbdinfo --size "nbds://uch@127.0.0.1:$port/disk0?tls-psk-file=$T/wrong.psk" \
     >/dev/null 2>"$T/wrong.err"; then
  die "a wrong PSK was accepted"
fi
! nbdinfo --size "nbd://127.0.0.1:$port/disk0" >/dev/null 2>&1 ||
  die "plain NBD accepted"
pass "wrong PSK and no TLS refused"
nbdcopy "$uri" "$T/back-tls.img" || die "nbdcopy over TLS failed"
cmp "$T/disk.img" "$T/back-tls.img" || die "TLS read back differs"
pass "TLS-PSK export read back equal"
# the cipher a plain libnbd client gets (bench/README.md, "TLS at the
# speed of the link"): left to itself gnutls picks CHACHA20-POLY1305 for
# a PSK, which is 10 times slower here than AES-GCM; where the system
# has its own gnutls configuration, that decides, and the job says so
LIBNBD_DEBUG=1 nbdinfo --size "$uri" >/dev/null 2>"$T/cipher.err" ||
  die "nbdinfo over TLS failed: $(tail -3 "$T/cipher.err")"
cipher=$(sed -n 's/.*connection is using TLS: cipher \([^ ]*\).*/\1/p' "$T/cipher.err")
if [ -z "${GNUTLS_SYSTEM_PRIORITY_FILE:-}" ] && [ ! -e /etc/gnutls/config ] &&
   [ ! -e /etc/crypto-policies/back-ends/gnutls.config ]; then
  [ "$cipher" = AES-128-GCM ] || die "the export negotiated '$cipher', not AES-128-GCM"
  grep -q 'nbdkit: TLS without CHACHA20-POLY1305' "$T/state/jobs/tls/job.log" ||
    die "the job log does not say how TLS was set up"
else
  grep -q "nbdkit: the system's gnutls configuration .* chooses" "$T/state/jobs/tls/job.log" ||
    die "the job log does not say that the system chooses the cipher"
fi
pass "TLS cipher: ${cipher:-?}"
api POST /v1/jobs/tls/cancel >/dev/null
[ "$(job_wait tls 30)" = cancelled ] || die "tls export not cancelled"

# --- TCP + TLS with the request's own PSK file, until the client is done
port=$(free_port)
echo "client:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/mine.psk"
chmod 600 "$T/mine.psk"
submit "done" '{"type": "export", "id": "done", "until": "client-done",
  "listen": {"tcp": "127.0.0.1:'"$port"'", "tls_psk_file": "'"$T/mine.psk"'",
             "tls_username": "client", "advertise": "localhost"},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}, "name": "d"}]}'
[ "$(jq -r '.result.exports[0].uri' "$T/done.json")" = \
  "nbds://client@localhost:$port/d?tls-psk-file=$T/run/jobs/done/secrets/listen.tls_psk_file" ] ||
  die "uri with the request's PSK: $(jq -r '.result.exports[0].uri' "$T/done.json")"
nbdcopy "nbds://client@127.0.0.1:$port/d?tls-psk-file=$T/mine.psk" "$T/back-done.img" ||
  die "nbdcopy with the request's PSK failed"
cmp "$T/disk.img" "$T/back-done.img" || die "read back differs"
st=$(job_wait "done" 30)
[ "$st" = succeeded ] || die "client-done export ended $st: $(api GET /v1/jobs/done | jq -c .error)"
pass "until=client-done: succeeded after the last client"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"

# --- until=disks-done: serving while a disk is unread (however long no
# client comes), then the job succeeds once both were read
submit dd '{"type": "export", "id": "dd", "until": "disks-done", "idle_s": 1,
  "listen": {"unix": true},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}, "name": "a"},
            {"source": {"path": "'"$T/disk.img"'"}, "name": "b"}]}'
sock=$T/run/jobs/dd/nbd.sock
nbdcopy "nbd+unix:///a?socket=$sock" "$T/back-dd-a.img" || die "nbdcopy of a failed"
# the first client gone, b unread: two idle times (and more) later the
# export is still serving, and b reads the same
nbdinfo "nbd+unix:///a?socket=$sock" >/dev/null || die "a second client of a refused"
sleep 3
[ "$(api GET /v1/jobs/dd | jq -r .state)" = running ] ||
  die "disks-done export ended with b unread: $(api GET /v1/jobs/dd | jq -c '{state, error}')"
nbdcopy "nbd+unix:///b?socket=$sock" "$T/back-dd-b.img" || die "nbdcopy of b failed"
cmp "$T/disk.img" "$T/back-dd-a.img" && cmp "$T/disk.img" "$T/back-dd-b.img" || die "dd read back differs"
st=$(job_wait dd 30)
[ "$st" = succeeded ] || die "disks-done export ended $st: $(api GET /v1/jobs/dd | jq -c .error)"
pass "until=disks-done: serving while a disk is unread, succeeded once both were read"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"

# --- until=disks-done over TCP: every disk read and no client, its
# phase is idle while it waits out idle_s; another export on its port
# with port_wait_s waits for the port and serves once it has ended; one
# whose port_wait_s runs out fails naming the port
port=$(free_port)
submit ddt '{"type": "export", "id": "ddt", "until": "disks-done", "idle_s": 8,
  "listen": {"tcp": "127.0.0.1:'"$port"'"},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}, "name": "a"}]}'
nbdinfo --size "$(jq -r '.result.exports[0].uri' "$T/ddt.json")" >/dev/null || die "nbdinfo of ddt failed"
wait_for 10 sh -c "curl -s --unix-socket '$UCH_SOCK' http://uch/v1/jobs/ddt | jq -e '.phase == \"idle\"' >/dev/null" ||
  die "ddt read and left: not idle: $(api GET /v1/jobs/ddt | jq -c '{state, phase}')"
pass "until=disks-done: phase idle once its disk was read and no client is left"
echo '{"type": "export", "id": "next", "port_wait_s": 30, "listen": {"tcp": "127.0.0.1:'"$port"'"},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}, "name": "n"}]}' >"$T/req-next.json"
api POST /v1/jobs "$T/req-next.json" >/dev/null
[ "$(status)" = 201 ] || die "submit next: $(status) $(cat "$T/body")"
wait_for 30 sh -c "curl -s --unix-socket '$UCH_SOCK' http://uch/v1/jobs/next | jq -e '.phase == \"serving\" or .state != \"running\" and .state != \"queued\"' >/dev/null" ||
  die "next never serving"
[ "$(api GET /v1/jobs/ddt | jq -r .state)" = succeeded ] || die "ddt: $(api GET /v1/jobs/ddt | jq -c '{state, error}')"
[ "$(api GET /v1/jobs/next | jq -r .phase)" = serving ] || die "next: $(api GET /v1/jobs/next | jq -c '{state, phase, error}')"
api GET /v1/jobs/next/log | grep -q "127.0.0.1:$port was taken: free after" ||
  die "next's log does not say it waited for its port: $(api GET /v1/jobs/next/log | tail -5)"
nbdinfo --size "$(api GET /v1/jobs/next | jq -r '.result.exports[0].uri')" >/dev/null || die "nbdinfo of next failed"
pass "port_wait_s: an export on the port of one waiting out its idle time serves once it has ended"
echo '{"type": "export", "id": "late", "port_wait_s": 1, "listen": {"tcp": "127.0.0.1:'"$port"'"},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}}]}' >"$T/req-late.json"
api POST /v1/jobs "$T/req-late.json" >/dev/null
[ "$(job_wait late 30)" = failed ] || die "late: $(api GET /v1/jobs/late | jq -c '{state, error}')"
api GET /v1/jobs/late | jq -e --arg p "127.0.0.1:$port" '.error.code == "export_failed" and
  (.error.message | contains("listen.tcp: " + $p + " is still taken after 1 s (port_wait_s)"))' >/dev/null ||
  die "late's error: $(api GET /v1/jobs/late | jq -c .error)"
pass "port_wait_s run out: $(api GET /v1/jobs/late | jq -r .error.message)"
api POST /v1/jobs/next/cancel >/dev/null
[ "$(job_wait next 30)" = cancelled ] || die "next not cancelled"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"

# --- nbdkit dying under an export fails the job with how it ended
submit dies '{"type": "export", "id": "dies", "listen": {"unix": true},
  "disks": [{"source": {"path": "'"$T/disk.img"'"}}]}'
kit=$(pgrep -f -- "nbdkit.*$T/run/jobs/dies/nbdkit.pid") || die "no nbdkit for dies"
kill -KILL "$kit"
st=$(job_wait dies 30)
api GET /v1/jobs/dies >"$T/dies-end.json"
[ "$st" = failed ] || die "export whose nbdkit died ended $st"
jq -e '.error.message == "nbdkit was killed by signal 9"' \
  "$T/dies-end.json" >/dev/null || die "error: $(jq -c .error "$T/dies-end.json")"
pass "nbdkit killed: export failed, $(jq -r .error.message "$T/dies-end.json")"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
