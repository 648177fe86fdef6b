#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The state dir fills up while a copy runs (a 6 MiB tmpfs in a mount
# namespace of the test's own, filled to the last byte).  The copy that
# finishes is reported succeeded, from the space its worker reserved for
# its final state; a cancel of a queued job is written from uchd's own
# reserve; a new submit is refused naming the state dir and ENOSPC; and
# after a restart every state says what really happened.
# uch-test: timeout=300
if [ -z "${UCH_TEST_MOUNT_NS:-}" ]; then
  command -v unshare >/dev/null || { echo "SKIP: unshare not installed"; exit 77; }
  UCH_TEST_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

mkdir -p "$T/state"
mount -t tmpfs -o size=6m,mode=0755 uch-test-state "$T/state" ||
  skip "cannot mount a tmpfs (not root?)"
cleanup_add "umount -l $T/state"

# 8 MiB at 4 Mbit/s: about 16 s, long enough to fill the disk meanwhile
# on a loaded machine
slow_nbd_source slow 8 4M
uchd_start --max-jobs 1
copy_request "$T/full1.json" full1 "$SRC_URI" "$T/full1.img"
api POST /v1/jobs "$T/full1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit full1: $(status) $(cat "$T/body")"
printf '{"type":"copy","id":"q1","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
  "$T/slow.img" "$T/q1.img" >"$T/q1.json"
api POST /v1/jobs "$T/q1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit q1: $(status) $(cat "$T/body")"
wait_for 30 job_in_state full1 running || die "full1 not running"
wait_for 30 test -e "$T/state/jobs/full1/checkpoint-0.json" ||
  die "full1 made no checkpoint"

# every byte of the state dir taken
dd if=/dev/zero of="$T/state/filler" bs=4k status=none 2>/dev/null || true
[ "$(df --output=avail -B1 "$T/state" | tail -1 | tr -d ' ')" -lt 4096 ] ||
  die "the state dir is not full: $(df -h "$T/state")"
pass "the state dir is full while full1 copies"

api POST /v1/jobs/q1/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel q1: $(status) $(cat "$T/body")"
jq -e '.state == "cancelled"' "$T/state/jobs/q1/state.json" >/dev/null ||
  die "q1's cancel is not on disk: $(cat "$T/state/jobs/q1/state.json")"
grep -q "no space left on device; freed $T/state/uchd.reserve" "$T/uchd.log" ||
  die "uchd's reserve not used: $(tail -5 "$T/uchd.log")"
pass "a cancel while the state dir is full is written (uchd's reserve)"

# full again (the cancel used uchd's reserve, the rest may be free)
dd if=/dev/zero of="$T/state/filler2" bs=4k status=none 2>/dev/null || true
printf '{"type":"copy","id":"n1","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
  "$T/slow.img" "$T/n1.img" >"$T/n1.json"
api POST /v1/jobs "$T/n1.json" >/dev/null
[ "$(status)" = 500 ] || die "submit while full: $(status) $(cat "$T/body")"
jq -e --arg d "$T/state" '.error.message | contains("in " + $d + ": No space left on device")' \
  "$T/body" >/dev/null || die "submit while full: $(cat "$T/body")"
api GET /v1/jobs/n1 >/dev/null
[ "$(status)" = 404 ] || die "n1 half created: $(status)"
pass "a submit while full is refused naming the state dir and ENOSPC"

[ "$(job_wait full1 120)" = succeeded ] ||
  die "full1: $(job_field full1 '.error'); log: $(tail -5 "$T/state/jobs/full1/job.log")"
cmp "$T/slow.img" "$T/full1.img" || die "full1's copy differs"
jq -e '.state == "succeeded"' "$T/state/jobs/full1/state.json" >/dev/null ||
  die "full1 on disk: $(jq -c '{state,error}' "$T/state/jobs/full1/state.json")"
pass "the copy that finished while full is succeeded, on disk too"

uchd_stop
rm -f "$T/state/filler" "$T/state/filler2"
uchd_start --max-jobs 1
[ "$(job_field full1 .state)" = succeeded ] || die "full1 after restart: $(job_field full1 .)"
[ "$(job_field q1 .state)" = cancelled ] || die "q1 after restart: $(job_field q1 .)"
for f in "$T"/state/jobs/*/state.json; do
  jq -e . "$f" >/dev/null || die "$f does not parse"
done
[ -z "$(find "$T/state/jobs" -name state.reserve)" ] || die "a worker's reserve is left"
pass "after a restart every state is what happened"
