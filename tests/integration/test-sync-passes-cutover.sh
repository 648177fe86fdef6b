#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A sync job (warm migration) over its whole life: pass 1 copies all
# that is allocated, then the job waits; each POST /v1/jobs/{id}/sync runs
# a pass over what changed (the source's dirty bitmap, or a changed-extent
# list in the body), and POST /cutover runs the last one and ends the job.
# The source is written between passes (qemu-io over NBD, which qemu-nbd
# records in the bitmap); incremental passes read what changed, not the
# disk; the destination equals the source after every pass.
source "$UCH_TOP/tests/lib/functions.sh"
require qemu-img
require qemu-nbd
require qemu-io
require nbdcopy
require jq

MIB=$((1024 * 1024))
KIB=1024
bitmap_nbd_source
src=$SRC_URI
uchd_start

post() { # PATH [BODY-JSON]: the HTTP status
  if [ -n "${2:-}" ]; then
    printf '%s\n' "$2" >"$T/post.json"
    api POST "$1" "$T/post.json" >/dev/null
  else
    api POST "$1" >/dev/null
  fi
  status
}
passes() { job_field s1 '.result.passes | length'; }
waiting_after() { # N: pass N done and the job waiting for the next
  [ "$(passes)" = "$1" ] && [ "$(job_field s1 .phase)" = waiting ]
}
same() {
  nbdcopy "$src" "$T/now.img"
  cmp "$T/now.img" "$T/dst.img" || die "$1: the destination differs from the source"
}
pass_field() { job_field s1 ".result.passes[$1].$2"; }

printf '{"type": "sync", "id": "s1", "disks": [{"source": {"nbd": "%s", "bitmap": "b0"}, "destination": {"path": "%s"}}]}\n' \
  "$src" "$T/dst.img" >"$T/s1.json"
api POST /v1/jobs "$T/s1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
wait_for 60 waiting_after 1 || die "pass 1 did not end waiting: $(api GET /v1/jobs/s1)"
[ "$(job_field s1 .state)" = running ] || die "a waiting sync job is $(job_field s1 .state)"
[ "$(pass_field 0 kind)" = full ] || die "pass 1 is $(pass_field 0 kind)"
[ "$(pass_field 0 bytes)" -eq $((12 * MIB)) ] || die "pass 1 copied $(pass_field 0 bytes) bytes, 12 MiB are allocated"
same "pass 1"
pass "pass 1: full, $(pass_field 0 bytes) bytes in $(pass_field 0 seconds) s, job running, phase waiting"

# pass 2: from the bitmap
qemu-io -f raw -c "write -P 0x55 $((1 * MIB)) $((256 * KIB))" \
  -c "write -P 0x66 $((40 * MIB)) $((512 * KIB))" "$src" >/dev/null
out=$(uchctl --socket "$UCH_SOCK" sync s1) || die "uchctl sync: $out"
[ "$out" = "s1: pass requested" ] || die "uchctl sync said: $out"
wait_for 60 waiting_after 2 || die "pass 2 did not end: $(api GET /v1/jobs/s1)"
same "pass 2"
written=$(( 768 * KIB )); bytes=$(pass_field 1 bytes)
[ "$(pass_field 1 kind)" = incremental ] || die "pass 2 is $(pass_field 1 kind)"
[ "$bytes" -ge "$written" ] && [ "$bytes" -le $(( written * 105 / 100 )) ] ||
  die "pass 2 copied $bytes bytes for $written written"
[ "$(job_field s1 '.result.disks[0].marker')" = b0 ] || die "marker: $(job_field s1 .result.disks)"
pass "pass 2 (uchctl sync, bitmap b0): $bytes bytes for $written written, equal"

# pass 3: the orchestrator's own list of changes, with its change id
qemu-io -f raw -c "write -P 0x77 $((50 * MIB)) $((128 * KIB))" "$src" >/dev/null
[ "$(post /v1/jobs/s1/sync "{\"disks\": [{\"changed_extents\": [[$((50 * MIB)), $((128 * KIB))]], \"change_id\": \"cbt-3\"}]}")" = 202 ] ||
  die "sync with extents: $(status) $(cat "$T/body")"
wait_for 60 waiting_after 3 || die "pass 3 did not end: $(api GET /v1/jobs/s1)"
same "pass 3"
[ "$(pass_field 2 bytes)" -eq $((128 * KIB)) ] || die "pass 3 copied $(pass_field 2 bytes)"
[ "$(job_field s1 '.result.disks[0].marker')" = cbt-3 ] || die "marker after pass 3: $(job_field s1 .result.disks)"
pass "pass 3 (extent list): $(pass_field 2 bytes) bytes, marker cbt-3, equal"

# wrong requests change nothing
[ "$(post /v1/jobs/s1/sync '{"disks": [{"changed_extents": [[0, 0]]}]}')" = 400 ] ||
  die "a zero-length extent: $(status)"
[ "$(jq -r .error.field "$T/body")" = "disks[0].changed_extents[0]" ] || die "field: $(cat "$T/body")"
[ "$(post /v1/jobs/s1/sync '{"disks": []}')" = 400 ] || die "no disks: $(status)"
printf '{"type": "copy", "id": "c1", "disks": [{"source": {"nbd": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$src" "$T/other.img" >"$T/c1.json"
api POST /v1/jobs "$T/c1.json" >/dev/null
[ "$(post /v1/jobs/c1/sync)" = 409 ] || die "sync of a copy job: $(status)"
[ "$(post /v1/jobs/nosuch/cutover)" = 404 ] || die "cutover of no job: $(status)"
pass "a bad extent is 400 naming it; a copy job 409; no job 404"

# cutover: the bitmap has everything since it was made
qemu-io -f raw -c "write -P 0x88 $((60 * MIB)) $((64 * KIB))" -c "write -z $((2 * MIB)) $((1 * MIB))" \
  "$src" >/dev/null
echo '{"disks": [{"change_id": "final"}]}' |
  uchctl --socket "$UCH_SOCK" cutover s1 - >/dev/null || die "uchctl cutover failed"
st=$(job_wait s1 60)
[ "$st" = succeeded ] || die "cutover ended $st: $(job_field s1 .error)"
same "cutover"
[ "$(passes)" = 4 ] || die "$(passes) passes"
since_b0=$(( written + 128 * KIB + 64 * KIB ))
bytes=$(pass_field 3 bytes)
[ "$bytes" -ge "$since_b0" ] && [ "$bytes" -le $(( since_b0 * 105 / 100 )) ] ||
  die "cutover copied $bytes bytes for $since_b0 written since b0"
[ "$(pass_field 3 trigger)" = cutover ] || die "pass 4 trigger $(pass_field 3 trigger)"
[ "$(job_field s1 '.result.disks[0].marker')" = final ] || die "marker after the cutover: $(job_field s1 .result.disks)"
[ "$(post /v1/jobs/s1/sync)" = 409 ] || die "sync after the cutover: $(status)"
uchctl --socket "$UCH_SOCK" sync s1 2>"$T/err" && die "uchctl sync of an ended job succeeded"
grep -q "succeeded" "$T/err" || die "uchctl sync of an ended job said: $(cat "$T/err")"
pass "cutover: $bytes bytes (all written since b0: $since_b0), succeeded, equal; sync after it 409"

# a local source (served by the worker's nbdkit each pass) with extent
# lists only, and passes on an interval from the bitmap
cp "$T/now.img" "$T/raw.img"
printf '{"type": "sync", "id": "s2", "disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$T/raw.img" "$T/dst2.img" >"$T/s2.json"
printf '{"type": "sync", "id": "s3", "interval_s": 1, "disks": [{"source": {"nbd": "%s", "bitmap": "b0"}, "destination": {"path": "%s"}}]}\n' \
  "$src" "$T/dst3.img" >"$T/s3.json"
api POST /v1/jobs "$T/s2.json" >/dev/null; [ "$(status)" = 201 ] || die "submit s2: $(cat "$T/body")"
api POST /v1/jobs "$T/s3.json" >/dev/null; [ "$(status)" = 201 ] || die "submit s3: $(cat "$T/body")"
s2_after() { [ "$(job_field s2 '.result.passes | length')" = "$1" ] && [ "$(job_field s2 .phase)" = waiting ]; }
wait_for 60 s2_after 1 || die "s2 pass 1: $(api GET /v1/jobs/s2)"
[ "$(post /v1/jobs/s2/sync)" = 400 ] || die "a pass without extents for a source without bitmap: $(status)"
[ "$(jq -r .error.field "$T/body")" = "disks[0].changed_extents" ] || die "field: $(cat "$T/body")"
dd if=/dev/urandom of="$T/raw.img" bs=64K seek=100 count=2 conv=notrunc status=none
[ "$(post /v1/jobs/s2/sync '{"disks": [{"changed_extents": [[6553600, 131072]]}]}')" = 202 ] ||
  die "s2 sync: $(status) $(cat "$T/body")"
wait_for 60 s2_after 2 || die "s2 pass 2: $(api GET /v1/jobs/s2)"
[ "$(post /v1/jobs/s2/cutover '{"disks": [{"changed_extents": []}]}')" = 202 ] || die "s2 cutover: $(status)"
[ "$(job_wait s2 60)" = succeeded ] || die "s2: $(job_field s2 .error)"
cmp "$T/raw.img" "$T/dst2.img" || die "s2: the destination differs"
[ "$(job_field s2 '.result.passes[1].bytes')" = 131072 ] || die "s2 pass 2: $(job_field s2 '.result.passes[1]')"
pass "a path source: passes from extent lists, 400 without one, equal"

s3_interval() { [ "$(job_field s3 '[.result.passes[]? | select(.trigger == "interval")] | length')" -ge 2 ]; }
wait_for 60 s3_interval || die "no interval passes: $(job_field s3 .result.passes)"
[ "$(post /v1/jobs/s3/cutover)" = 202 ] || die "s3 cutover: $(status) $(cat "$T/body")"
[ "$(job_wait s3 60)" = succeeded ] || die "s3: $(job_field s3 .error)"
nbdcopy "$src" "$T/now.img"
cmp "$T/now.img" "$T/dst3.img" || die "s3: the destination differs"
pass "interval_s 1: $(job_field s3 '.result.passes | length') passes, the interval ones by themselves; cutover, equal"

# cancel while waiting: cancelled, its runtime files and tools gone
sed 's/"s2"/"s4"/; s/dst2.img/dst4.img/' "$T/s2.json" >"$T/s4.json"
api POST /v1/jobs "$T/s4.json" >/dev/null; [ "$(status)" = 201 ] || die "submit s4: $(cat "$T/body")"
s4_waiting() { [ "$(job_field s4 .phase)" = waiting ]; }
wait_for 60 s4_waiting || die "s4 never waiting: $(api GET /v1/jobs/s4)"
api POST /v1/jobs/s4/cancel >/dev/null
[ "$(job_wait s4 30)" = cancelled ] || die "s4: $(job_field s4 .state)"
[ ! -e "$T/run/jobs/s4" ] || die "s4 left $(ls -R "$T/run/jobs/s4")"
left=$(worker_leftovers | grep -v -e "-k $T/src.sock " || true)   # not our qemu-nbd
[ -z "$left" ] || die "left running: $left"
pass "cancel while waiting: cancelled, nothing left"
