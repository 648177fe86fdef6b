#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A resume never trusts a destination another writer touched since its
# checkpoint.  The issue's case: job r1 (s1 -> F) is killed mid-copy, job
# r2 (s2 -> F, same size) succeeds, r1 is submitted again: it must not
# "resume" (F would hold neither source) but copy from 0, and F ends
# equal to s1.  The same with a writer outside UCH (dd over the file).
# test-copy-resume-after-kill.sh shows an untouched destination still
# resumes.
source "$UCH_TOP/tests/lib/functions.sh"
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/s1.img" $((64 * MIB)) 32
make_sparse_image "$T/s2.img" $((64 * MIB)) 32
uchd_start

submit() { # ID SOURCE DEST [LIMITS-JSON]: the HTTP status
  printf '{"type": "copy", "id": "%s", %s"disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
    "$1" "${4:+\"limits\": $4, }" "$2" "$3" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  status
}
done_at_least() { [ "$(job_field "$1" .progress.bytes_done)" -ge "$2" ]; }
killed_midway() { # ID SOURCE DEST
  [ "$(submit "$1" "$2" "$3" '{"bandwidth": "16M"}')" = 201 ] ||
    die "submit $1: $(status) $(cat "$T/body")"
  wait_for 60 done_at_least "$1" $((4 * MIB)) || die "$1 made no progress"
  kill -KILL "$(job_field "$1" .worker.pid)"
  [ "$(job_wait "$1" 30)" = failed ] || die "$1 not failed after the kill"
  [ -s "$T/state/jobs/$1/checkpoint-0.json" ] || die "$1 left no checkpoint"
  [ "$(jq .offset "$T/state/jobs/$1/checkpoint-0.json")" -gt 0 ] ||
    die "$1's checkpoint is at 0"
}
rerun_copies_from_zero() { # ID SOURCE DEST WHY
  [ "$(submit "$1" "$2" "$3" '{"bandwidth": "16M"}')" = 202 ] ||
    die "resubmit $1: $(status) $(cat "$T/body")"
  [ "$(job_wait "$1" 120)" = succeeded ] || die "$1: $(job_field "$1" .error)"
  cmp "$2" "$3" || die "$1 succeeded but $3 is not its source (a stale resume)"
  [ "$(job_field "$1" '.result.disks[0].resumed_from // 0')" = 0 ] ||
    die "$1 resumed at $(job_field "$1" '.result.disks[0].resumed_from')"
  grep -q "not resuming from the checkpoint: $4" "$T/state/jobs/$1/job.log" ||
    die "$1: the log does not say why: $(grep -i resum "$T/state/jobs/$1/job.log")"
}

killed_midway r1 "$T/s1.img" "$T/F.img"
[ "$(submit r2 "$T/s2.img" "$T/F.img")" = 201 ] || die "submit r2: $(status)"
[ "$(job_wait r2 120)" = succeeded ] || die "r2: $(job_field r2 .error)"
cmp "$T/s2.img" "$T/F.img" || die "r2's copy differs"
rerun_copies_from_zero r1 "$T/s1.img" "$T/F.img" "another job wrote the destination"
grep -q "last written by job r2" "$T/state/jobs/r1/job.log" || die "r2 not named"
pass "r1 killed, r2 wrote F, r1 again: copied from 0, F equals s1"

killed_midway r3 "$T/s1.img" "$T/G.img"
# STATE/destinations: a marker a resume needs stays (r3's, of G), the
# others go once their jobs end (F's: r1 and r2 succeeded)
markers() { find "$T/state/destinations" -name '*.json' -printf '%f\n' | sort | tr '\n' ' '; }
g_marker="dev-$(stat -c %d "$T/G.img")-ino-$(stat -c %i "$T/G.img").json"
markers_are() { [ "$(markers)" = "$1" ]; }
wait_for 10 markers_are "$g_marker " ||
  die "markers with r3 failed: $(markers), wanted $g_marker"
pass "the marker r3's resume needs stays, F's is gone: $(markers)"
dd if="$T/s2.img" of="$T/G.img" bs=1M conv=notrunc status=none
rerun_copies_from_zero r3 "$T/s1.img" "$T/G.img" "the destination no longer holds what the checkpoint recorded"
pass "r3 killed, G overwritten outside UCH, r3 again: copied from 0, G equals s1"
wait_for 10 markers_are "" || die "markers left once every job succeeded: $(markers)"
pass "every job done: no destination marker left"
