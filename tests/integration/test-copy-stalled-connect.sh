#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A source that hangs before the copy can even start: during the NBD
# handshake (nbdkit's delay filter, delay-open an hour), or a TCP
# listener that takes the connection and never says a word.  libnbd's
# connect waits for ever; uch-job's is bounded by uchd's stall_timeout
# (3 s here): the job ends failed, code timeout, its message naming the
# stall while connecting, nothing written; the source fixed, the same
# request copies it equal; a cancel while the handshake hangs ends the
# job at once.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
require python3

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((16 * MIB)) 4
uchd_start --stall-timeout 3

# stalled ID URI: job ID failed with code timeout naming the stall
stalled() {
  [ "$(job_wait "$1" 90)" = failed ] ||
    die "$1: a source hanging in its handshake did not end the job: $(job_field "$1" '{state,phase,error}')"
  api GET "/v1/jobs/$1" >"$T/$1.out"
  jq -e --arg u "$2" '.error.code == "timeout" and
       (.error.message | contains("the source stalled: no answer while connecting (TCP connect, TLS or NBD handshake) for 3 s (stall_timeout) from " + $u))' \
    "$T/$1.out" >/dev/null || die "$1: $(jq -c .error "$T/$1.out")"
  [ ! -s "$T/$1.img" ] || die "$1: something was written"
  pass "$1: $(jq -r .error.message "$T/$1.out")"
}

nbdkit_serve hang "$T/src.img" --filter=delay -- delay-open=3600
copy_nbd c1 "$NBD_URI"
stalled c1 "$NBD_URI"

# a TCP listener that accepts (the kernel does) and never answers,
# through the worker's own nbdkit nbd plugin
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(3600)
' "$T/mute.port" &
cleanup_add "kill $!"
wait_for 10 test -s "$T/mute.port" || die "the mute listener did not start"
copy_nbd c2 "nbd://127.0.0.1:$(cat "$T/mute.port")/"
stalled c2 "nbd://127.0.0.1:$(cat "$T/mute.port")/"

# the source fixed: the same request runs to an equal copy
nbdkit_reserve hang "$T/src.img"
copy_nbd c1 "$NBD_URI"
[ "$(job_wait c1 120)" = succeeded ] || die "c1 again: $(job_field c1 .error)"
cmp "$T/src.img" "$T/c1.img" || die "the copy differs"
pass "once the source answers, the resubmit copies it equal"

# a cancel while the handshake hangs ends the job at once; a uchd with
# a long stall_timeout, so that only the cancel can end it
unset UCH_PORT
uchd_restart --stall-timeout 600
nbdkit_serve hang2 "$T/src.img" -v --filter=delay -- delay-open=3600
copy_nbd c3 "$NBD_URI"
wait_for 60 grep -q "delay: open" "$T/nbdkit-hang2.log" ||
  die "c3 never connected: $(job_field c3 '{state,phase,error}'); $(tail -5 "$T/nbdkit-hang2.log")"
api POST /v1/jobs/c3/cancel >/dev/null
[ "$(job_wait c3 60)" = cancelled ] || die "c3: $(job_field c3 '{state,error}')"
pass "a cancel ends a copy whose source hangs in its handshake"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
