#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The stall bound (uchd.conf stall_timeout, --stall-timeout 3 here) for
# the copies that are not raw: a qcow2 copy from a local source
# (nbdcopy) and a warm pass of a sync job, each from a source whose
# every read nbdkit's delay filter holds for an hour, and a qcow2 copy
# from a network one (nbd://, uch-job's own copy into qemu-nbd) whose
# server stops mid-copy (SIGSTOP), end in bounded time with code
# timeout and a message naming the stall; nothing is left running.
# Then, the source answering again, the same requests run to the end.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require qemu-img
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((64 * MIB)) 16
uchd_start --stall-timeout 3

# a qcow2 destination: nbdcopy, which waits for ever on its own
nbdkit_serve slow "$T/src.img" --filter=delay -- rdelay=3600
slow_uri=$NBD_URI
printf '{"type": "copy", "id": "q1", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s", "format": "qcow2"}}]}\n' \
  "$NBD_URI" "$T/dst.qcow2" >"$T/q1.json"
api POST /v1/jobs "$T/q1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit q1: $(status) $(cat "$T/body")"
[ "$(job_wait q1 90)" = failed ] || die "q1 did not end: $(job_field q1 '{state,phase}')"
api GET /v1/jobs/q1 >"$T/q1.out"
jq -e '.error.code == "timeout" and
       (.error.message | contains("the source stalled: nothing arrived from it for 3 s (stall_timeout"))' \
  "$T/q1.out" >/dev/null || die "q1: $(jq -c .error "$T/q1.out")"
[ -z "$(worker_leftovers)" ] || die "q1 left: $(worker_leftovers)"
pass "qcow2: $(jq -r .error.message "$T/q1.out")"

# the source back (a fresh server on the same socket): the same request
# copies it all
nbdkit_reserve slow "$T/src.img"
api POST /v1/jobs "$T/q1.json" >/dev/null
[ "$(status)" = 202 ] || die "resubmit q1: $(status) $(cat "$T/body")"
[ "$(job_wait q1 120)" = succeeded ] || die "q1 again: $(job_field q1 .error)"
qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/dst.qcow2" || die "the qcow2 differs"
pass "once the source answers, the resubmitted qcow2 copy is equal"

# a qcow2 copy from a network source (nbd:// on the loopback): uch-job's
# own copy into qemu-nbd, which cannot resume either.  Its server is
# stopped mid-copy (SIGSTOP): one holding every read from the start
# holds the link probe's reads, which the job hangs up on, and Debian
# 12's nbdkit 1.32.5 may then abort (raw_send_socket: Assertion `sock >=
# 0', fixed in 1.33.10 by 9d82aa4f) before the copy connects to it.
port=$(free_port)
nbdkit_serve_tcp tcp "$port" "$T/src.img" --filter=rate -- rate=8M
printf '{"type": "copy", "id": "q2", "disks": [{"source": {"nbd": "nbd://127.0.0.1:%s/"}, "destination": {"path": "%s", "format": "qcow2"}}]}\n' \
  "$port" "$T/dst2.qcow2" >"$T/q2.json"
api POST /v1/jobs "$T/q2.json" >/dev/null
[ "$(status)" = 201 ] || die "submit q2: $(status) $(cat "$T/body")"
# 16 MiB of data at 8 Mbit/s take 16 s: stopped once 2 MiB are in the
# qcow2 (not by its progress, what the copy flushed, which moves first
# after seconds, in steps of 8 MiB)
grown() { [ "$(stat -c %s "$T/dst2.qcow2" 2>/dev/null || echo 0)" -ge $((2 * MIB)) ]; }
wait_for 60 grown || die "q2 made no progress: $(job_field q2 '{state,phase,error}')"
kill -STOP "$NBDKIT_PID"
[ "$(job_wait q2 90)" = failed ] || die "q2 did not end: $(job_field q2 '{state,phase}')"
api GET /v1/jobs/q2 >"$T/q2.out"
jq -e '.error.code == "timeout" and
       (.error.message | contains("the source stalled: nothing arrived from it for 3 s (stall_timeout")) and
       (.error.message | contains("a qcow2 copy cannot resume")) and
       (.error.message | contains("(source nbd://127.0.0.1:'"$port"'/)"))' \
  "$T/q2.out" >/dev/null || die "q2: $(jq -c .error "$T/q2.out")"
! grep -q "running nbdcopy" "$T/state/jobs/q2/job.log" || die "q2: copied by nbdcopy"
[ -z "$(worker_leftovers)" ] || die "q2 left: $(worker_leftovers)"
pass "qcow2 from nbd://: $(jq -r .error.message "$T/q2.out")"

# the stopped nbdkit gone before another takes its port (SIGKILL is
# not instant)
kill -KILL "$NBDKIT_PID" 2>/dev/null || true
wait "$NBDKIT_PID" 2>/dev/null || true
nbdkit_serve_tcp tcp "$port" "$T/src.img"
api POST /v1/jobs "$T/q2.json" >/dev/null
[ "$(status)" = 202 ] || die "resubmit q2: $(status) $(cat "$T/body")"
[ "$(job_wait q2 120)" = succeeded ] || die "q2 again: $(job_field q2 .error)"
qemu-img compare -q -f raw -F qcow2 "$T/src.img" "$T/dst2.qcow2" || die "the qcow2 from nbd:// differs"
pass "once it answers, the resubmitted qcow2 copy from nbd:// is equal"
kill "$NBDKIT_PID"
wait "$NBDKIT_PID" 2>/dev/null || true

# a sync job: pass 1 from a source that answers, then the source hangs
# and a pass over a changed extent waits on it
printf '{"type": "sync", "id": "s1", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$slow_uri" "$T/dst.img" >"$T/s1.json"
api POST /v1/jobs "$T/s1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit s1: $(status) $(cat "$T/body")"
waiting() { [ "$(job_field s1 .phase)" = waiting ]; }
wait_for 90 waiting || die "pass 1 did not end: $(job_field s1 '{state,phase,error}')"
nbdkit_reserve slow "$T/src.img" --filter=delay -- rdelay=3600
echo '{"disks": [{"changed_extents": [[0, 4194304]]}]}' >"$T/pass.json"
api POST /v1/jobs/s1/sync "$T/pass.json" >/dev/null
[ "$(status)" = 202 ] || die "pass 2: $(status) $(cat "$T/body")"
[ "$(job_wait s1 90)" = failed ] || die "s1 did not end: $(job_field s1 '{state,phase}')"
api GET /v1/jobs/s1 >"$T/s1.out"
jq -e '.error.code == "timeout" and
       (.error.message | contains("the source stalled: nothing arrived from it for 3 s (stall_timeout) in a pass"))' \
  "$T/s1.out" >/dev/null || die "s1: $(jq -c .error "$T/s1.out")"
[ -z "$(worker_leftovers)" ] || die "s1 left: $(worker_leftovers)"
pass "warm pass: $(jq -r .error.message "$T/s1.out")"

# the same request once the source answers: copied whole, waiting
nbdkit_reserve slow "$T/src.img"
api POST /v1/jobs "$T/s1.json" >/dev/null
[ "$(status)" = 202 ] || die "resubmit s1: $(status) $(cat "$T/body")"
wait_for 90 waiting || die "s1 again, pass 1: $(job_field s1 '{state,phase,error}')"
cmp "$T/src.img" "$T/dst.img" || die "the sync's destination differs"
pass "once the source answers, the resubmitted sync copies it whole and waits"
api POST /v1/jobs/s1/cancel >/dev/null
[ "$(job_wait s1 30)" = cancelled ] || die "s1 not cancelled"
