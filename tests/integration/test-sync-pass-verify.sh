#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=420
# Verified passes (issue 19 item 3): a digest job reads the extents a
# pass will write next to the source disk (the source appliance's
# half), its result goes into the pass body as disks[i].verify, and the
# pass compares the destination's digest of the same pieces after its
# flush: equal, the pass says so; the source changed after its digest
# (the digest is not of what the pass copied), the pass fails naming the
# extent; a digest that leaves part of the pass out fails, before it
# writes, naming that part; bad digests and bad digest jobs are 400 naming the field.
# A digest posted to /v1/jobs/ID/digest verifies pass 1 (of the whole
# disk) and passes asked with "verify": true: the pass copies without
# it, digests the destination once flushed, waits for it, compares.
source "$UCH_TOP/tests/lib/functions.sh"
require jq
require sha256sum

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((64 * MIB)) 16
uchd_start

passes() { job_field s1 '.result.passes | length'; }
waiting_after() { [ "$(passes)" = "$1" ] && [ "$(job_field s1 .phase)" = waiting ]; }
same() { cmp "$T/src.img" "$T/dst.img" || die "$1: the destination differs from the source"; }
scribble() { # MIB-OFFSET KIB-LENGTH: new data in the source
  dd if=/dev/urandom of="$T/src.img" bs=1K seek=$(( $1 * 1024 )) count="$2" conv=notrunc status=none
}
# digest ID EXTENTS-JSON [CHUNK-MIB]: a digest job of the source's
# extents (1 MiB pieces), waited for; its digest object in $T/ID.digest
digest() {
  printf '{"type": "digest", "id": "%s", "chunk_mib": %d, "disks": [{"source": {"path": "%s"}, "extents": %s}]}\n' \
    "$1" "${3:-1}" "$T/src.img" "$2" >"$T/$1.json"
  job_succeeds "$1" "$T/$1.json" 60
  jq -c '.result.disks[0].digest' "$T/job.json" >"$T/$1.digest"
}
post_pass() { # EXTENTS-JSON DIGEST-FILE: POST /sync, the status
  jq -nc --argjson e "$1" --slurpfile d "$2" '{disks: [{changed_extents: $e, verify: $d[0]}]}' >"$T/pass.json"
  api POST /v1/jobs/s1/sync "$T/pass.json" >/dev/null
  status
}

printf '{"type": "sync", "id": "s1", "disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$T/src.img" "$T/dst.img" >"$T/s1.json"
api POST /v1/jobs "$T/s1.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
wait_for 60 waiting_after 1 || die "pass 1 did not end waiting: $(api GET /v1/jobs/s1)"
same "pass 1"

# the digest job: its pieces are SHA-256s of the bytes as the disk holds them
scribble 3 1536; scribble 40 256
extents="[[$((3 * MIB)), $((1536 * 1024))], [$((40 * MIB)), $((256 * 1024))]]"
digest d1 "$extents"
jq -e '.algorithm == "sha256" and .chunk_bytes == 1048576 and (.extents | length) == 2' "$T/d1.digest" >/dev/null ||
  die "digest d1: $(cat "$T/d1.digest")"
# piece 2: the last 512 KiB of the first extent and the 256 KiB of the
# second, the window from one to the other, the gap not hashed
want=$({ dd if="$T/src.img" bs=1K skip=$((4 * 1024)) count=512 status=none
         dd if="$T/src.img" bs=1K skip=$((40 * 1024)) count=256 status=none; } | sha256sum | cut -d' ' -f1)
[ "$(jq -r '.extents[1] | "\(.[0]) \(.[1]) \(.[2])"' "$T/d1.digest")" = "$((4 * MIB)) $((36 * MIB + 256 * 1024)) $want" ] ||
  die "piece 2 of d1: $(jq -c '.extents[1]' "$T/d1.digest"), sha256sum says $want"
pass "digest job: 2 pieces of 1 MiB of data, each the SHA-256 of the extents' bytes in it"

# a pass that verifies equal
[ "$(post_pass "$extents" "$T/d1.digest")" = 202 ] || die "verified pass: $(status) $(cat "$T/body")"
wait_for 60 waiting_after 2 || die "pass 2 did not end waiting: $(job_field s1 '{state,error}')"
same "pass 2"
jq -e '.result.passes[1].disks[0].verified | .pieces == 2 and .bytes == 1835008' <(api GET /v1/jobs/s1) >/dev/null ||
  die "pass 2 verified: $(job_field s1 '.result.passes[1].disks[0]')"
pass "verified pass: equal, $(job_field s1 '.result.passes[1].disks[0].verified | "\(.pieces) pieces, \(.bytes) bytes in \(.seconds) s"')"

# a CBT-like list of 100 extents of 64 KiB: few pieces, verified equal
small=$(for (( i=0; i<100; i++ )); do printf '[%d, 65536]\n' $(( 48 * MIB + i * 128 * 1024 )); done | jq -sc .)
for (( i=0; i<100; i+=7 )); do
  dd if=/dev/urandom of="$T/src.img" bs=64K seek=$(( 48 * 16 + i * 2 )) count=1 conv=notrunc status=none
done
digest d4 "$small"
[ "$(jq '.extents | length' "$T/d4.digest")" = 7 ] || die "d4: $(jq '.extents | length' "$T/d4.digest") pieces for 100 extents of 64 KiB at 1 MiB a piece"
[ "$(post_pass "$small" "$T/d4.digest")" = 202 ] || die "pass 3: $(status) $(cat "$T/body")"
wait_for 60 waiting_after 3 || die "pass 3 did not end waiting: $(job_field s1 '{state,error}')"
same "pass 3"
[ "$(job_field s1 '.result.passes[2].disks[0].verified.bytes')" = $(( 100 * 65536 )) ] ||
  die "pass 3 verified: $(job_field s1 '.result.passes[2].disks[0]')"
pass "100 extents of 64 KiB: 7 pieces spanning the gaps, verified equal"

# bad verify bodies: 400 naming the field, the job still waiting
bad() { # BODY FIELD WHAT
  printf '%s\n' "$1" >"$T/bad.json"
  api POST /v1/jobs/s1/sync "$T/bad.json" >/dev/null
  [ "$(status)" = 400 ] || die "$3: $(status) $(cat "$T/body")"
  [ "$(jq -r .error.field "$T/body")" = "$2" ] || die "$3: field $(jq -r .error.field "$T/body"), not $2"
}
bad '{"disks": [{"changed_extents": [[0, 4096]], "verify": {"algorithm": "md5", "extents": [[0, 4096, "00"]]}}]}' \
  "disks[0].verify.algorithm" "an md5 digest"
bad "{\"disks\": [{\"changed_extents\": [[0, 4096]], \"verify\": {\"algorithm\": \"sha256\", \"extents\": [[0, 4096, \"$want\"], [0, 4096, \"$want\"]]}}]}" \
  "disks[0].verify.extents[1]" "overlapping pieces"
bad '{"disks": [{"changed_extents": [[0, 4096]], "verify": {"algorithm": "sha256", "extents": [[0, 4096, "XYZ"]]}}]}' \
  "disks[0].verify.extents[0]" "a piece's digest not hex"
bad "{\"disks\": [{\"verify\": {\"algorithm\": \"sha256\", \"extents\": [[0, 4096, \"$want\"]]}}]}" \
  "disks[0].changed_extents" "verify without changed extents"
[ "$(job_field s1 .phase)" = waiting ] || die "a refused pass moved the job: $(job_field s1 .phase)"
printf '{"type": "digest", "id": "dx", "disks": [{"source": {"nbd": "nbd+unix:///?socket=%s/x.sock"}, "extents": [[0, 1]]}]}\n' "$T" >"$T/dx.json"
api POST /v1/jobs "$T/dx.json" >/dev/null
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = "disks[0].source" ] ||
  die "a digest of an NBD source: $(status) $(cat "$T/body")"
printf '{"type": "digest", "id": "dx", "disks": [{"source": {"path": "%s"}, "extents": []}]}\n' "$T/src.img" >"$T/dx.json"
api POST /v1/jobs "$T/dx.json" >/dev/null
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = "disks[0].extents" ] ||
  die "a digest of no extents: $(status) $(cat "$T/body")"
pass "bad verify bodies and digest jobs: 400 naming the field, the job still waiting"

# a digest that leaves out part of what the pass writes
scribble 20 64
digest d2 "[[$((20 * MIB)), 32768]]"
[ "$(post_pass "[[$((20 * MIB)), 65536]]" "$T/d2.digest")" = 202 ] || die "pass 4: $(status) $(cat "$T/body")"
[ "$(job_wait s1 60)" = failed ] || die "a pass the digest does not cover: $(job_field s1 '{state,error}')"
[ "$(job_field s1 .error.code)" = verify_failed ] || die "pass 4: $(job_field s1 .error)"
job_field s1 .error.message | grep -qF "[$((20 * MIB + 32768)), 32768]" ||
  die "pass 4 does not name the part left out: $(job_field s1 .error.message)"
cmp -s -i $((20 * MIB)) -n 65536 "$T/src.img" "$T/dst.img" &&
  die "pass 4 wrote the destination though its digest could not verify it"
pass "a digest that does not cover the pass: failed before writing, naming [$((20 * MIB + 32768)), 32768]"

# the source changes after its digest: the pass copies what the digest
# did not read, and fails naming the piece
api POST /v1/jobs "$T/s1.json" >/dev/null
[ "$(status)" = 202 ] || die "restart s1: $(status) $(cat "$T/body")"
wait_for 60 waiting_after 1 || die "s1 again: pass 1: $(job_field s1 '{state,error}')"
scribble 10 2048
digest d3 "[[$((10 * MIB)), $((2 * MIB))]]"
scribble 11 4
[ "$(post_pass "[[$((10 * MIB)), $((2 * MIB))]]" "$T/d3.digest")" = 202 ] || die "pass 2': $(status) $(cat "$T/body")"
[ "$(job_wait s1 60)" = failed ] || die "a pass whose source changed after its digest: $(job_field s1 '{state,error}')"
[ "$(job_field s1 .error.code)" = verify_mismatch ] || die "pass 2': $(job_field s1 .error)"
job_field s1 .error.message | grep -qF "[$((11 * MIB)), $((1 * MIB))]" ||
  die "the mismatch does not name [11 MiB, 1 MiB]: $(job_field s1 .error.message)"
job_field s1 .error.message | grep -qF "[$((10 * MIB)), " &&
  die "the mismatch names the piece that was equal: $(job_field s1 .error.message)"
pass "source changed after its digest: failed, $(job_field s1 .error.message | cut -c1-100)"

# --- digests posted beside the pass (POST /v1/jobs/ID/digest) ---
post_digest() { # JOB DIGEST-FILE: the status
  jq -c '{disks: [.]}' "$2" >"$T/posted.json"
  api POST "/v1/jobs/$1/digest" "$T/posted.json" >/dev/null
  status
}
passes2() { job_field s2 '.result.passes | length'; }
phase2_after() { [ "$(passes2)" = "$1" ] && [ "$(job_field s2 .phase)" = "$2" ]; }
same2() { cmp "$T/src.img" "$T/dst2.img" || die "$1: the destination differs from the source"; }

# pass 1 of a job with "verify": copied, then waits for the source's
# digest of the whole disk (pieces of 1 MiB: not the destination's 16,
# so it digests again in them); [0, 1 TiB] is clipped to the disk
printf '{"type": "sync", "id": "s2", "verify": true, "disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$T/src.img" "$T/dst2.img" >"$T/s2.json"
api POST /v1/jobs "$T/s2.json" >/dev/null
[ "$(status)" = 201 ] || die "submit s2: $(status) $(cat "$T/body")"
wait_for 60 phase2_after 0 verifying || die "pass 1 of s2 did not wait for its digest: $(job_field s2 '{phase,state,error}')"
same2 "pass 1 of s2, before its digest"
digest dw "[[0, $((1024 * 1024 * MIB))]]"
[ "$(jq '.extents | length' "$T/dw.digest")" = 64 ] || die "dw: $(jq '.extents | length' "$T/dw.digest") pieces of the whole 64 MiB"
jq -c '{disks: [.]}' "$T/dw.digest" | uchctl --socket "$UCH_SOCK" digest s2 - >"$T/ctl.out" 2>&1 ||
  die "uchctl digest s2: $(cat "$T/ctl.out")"
wait_for 60 phase2_after 1 waiting || die "pass 1 of s2 did not end waiting: $(job_field s2 '{phase,state,error}')"
jq -e '.result.passes[0].disks[0].verified | .pieces == 64 and .bytes == 67108864 and .waited_seconds >= 0' \
  <(api GET /v1/jobs/s2) >/dev/null || die "pass 1 of s2 verified: $(job_field s2 '.result.passes[0].disks[0]')"
pass "pass 1 verified against a posted digest of the whole disk: $(job_field s2 '.result.passes[0].disks[0].verified | "\(.pieces) pieces, \(.bytes) bytes"')"

# a pass with "verify": true copies before the digest exists: it waits,
# copied and flushed, in phase verifying; the digest job runs then, and
# its digest (16 MiB pieces, the destination's own) ends the pass
scribble 5 3072; scribble 33 128
ext2="[[$((5 * MIB)), $((3 * MIB))], [$((33 * MIB)), $((128 * 1024))]]"
jq -nc --argjson e "$ext2" '{disks: [{changed_extents: $e, verify: true}]}' >"$T/pass.json"
api POST /v1/jobs/s2/sync "$T/pass.json" >/dev/null
[ "$(status)" = 202 ] || die "s2 pass 2: $(status) $(cat "$T/body")"
wait_for 60 phase2_after 1 verifying || die "s2 pass 2 did not wait for its digest: $(job_field s2 '{phase,state,error}')"
same2 "s2 pass 2, copied before its digest was made"
digest dv "$ext2" 16
[ "$(post_digest s2 "$T/dv.digest")" = 202 ] || die "post dv: $(status) $(cat "$T/body")"
wait_for 60 phase2_after 2 waiting || die "s2 pass 2 did not end waiting: $(job_field s2 '{phase,state,error}')"
jq -e '.result.passes[1].disks[0].verified | .pieces == 1 and .bytes == 3276800' <(api GET /v1/jobs/s2) >/dev/null ||
  die "s2 pass 2 verified: $(job_field s2 '.result.passes[1].disks[0]')"
pass "a pass with verify true: copied, then verified by the digest posted after"

# bad digest bodies: 400 naming the field; a second digest while one
# waits: 409; a digest posted before its pass waits for it
bad_digest() { # BODY FIELD WHAT
  printf '%s\n' "$1" >"$T/bad.json"
  api POST /v1/jobs/s2/digest "$T/bad.json" >/dev/null
  [ "$(status)" = 400 ] || die "$3: $(status) $(cat "$T/body")"
  [ "$(jq -r .error.field "$T/body")" = "$2" ] || die "$3: field $(jq -r .error.field "$T/body"), not $2"
}
bad_digest '{"disks": []}' disks "no disks"
bad_digest '{"disks": [null]}' disks "no digest"
bad_digest '{"disks": [{"algorithm": "md5", "extents": [[0, 1, "00"]]}]}' "disks[0].algorithm" "an md5 digest"
bad_digest "{\"disks\": [{\"algorithm\": \"sha256\", \"extents\": [[0, 4096, \"$want\"], [0, 4096, \"$want\"]]}]}" \
  "disks[0].extents[1]" "overlapping pieces"
printf '%s\n' '{"disks": [{"changed_extents": [[0, 4096]], "verify": 3}]}' >"$T/bad.json"
api POST /v1/jobs/s2/sync "$T/bad.json" >/dev/null
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/body")" = "disks[0].verify" ] ||
  die "a pass whose verify is 3: $(status) $(cat "$T/body")"
scribble 50 512
ext3="[[$((50 * MIB)), $((512 * 1024))]]"
digest de "$ext3" 16
[ "$(post_digest s2 "$T/de.digest")" = 202 ] || die "post de: $(status) $(cat "$T/body")"
[ "$(post_digest s2 "$T/de.digest")" = 409 ] || die "a second digest while one waits: $(status) $(cat "$T/body")"
jq -nc --argjson e "$ext3" '{disks: [{changed_extents: $e, verify: true}]}' >"$T/pass.json"
api POST /v1/jobs/s2/sync "$T/pass.json" >/dev/null
[ "$(status)" = 202 ] || die "s2 pass 3: $(status) $(cat "$T/body")"
wait_for 60 phase2_after 3 waiting || die "s2 pass 3 did not end waiting: $(job_field s2 '{phase,state,error}')"
same2 "s2 pass 3"
[ "$(job_field s2 '.result.passes[2].disks[0].verified.bytes')" = $((512 * 1024)) ] ||
  die "s2 pass 3 verified: $(job_field s2 '.result.passes[2].disks[0]')"
pass "bad posted digests 400 naming the field, a second 409, one posted before its pass verifies it"

# the source changes after its digest: the posted digest fails the
# pass naming the piece
scribble 20 2048
digest dm "[[$((20 * MIB)), $((2 * MIB))]]"
scribble 21 4
jq -nc --argjson e "[[$((20 * MIB)), $((2 * MIB))]]" '{disks: [{changed_extents: $e, verify: true}]}' >"$T/pass.json"
api POST /v1/jobs/s2/sync "$T/pass.json" >/dev/null
[ "$(status)" = 202 ] || die "s2 pass 4: $(status) $(cat "$T/body")"
[ "$(post_digest s2 "$T/dm.digest")" = 202 ] || die "post dm: $(status) $(cat "$T/body")"
[ "$(job_wait s2 60)" = failed ] || die "s2 pass 4 whose source changed after its digest: $(job_field s2 '{state,error}')"
[ "$(job_field s2 .error.code)" = verify_mismatch ] || die "s2 pass 4: $(job_field s2 .error)"
job_field s2 .error.message | grep -qF "[$((21 * MIB)), $((1 * MIB))]" ||
  die "the mismatch does not name [21 MiB, 1 MiB]: $(job_field s2 .error.message)"
pass "a posted digest of a source changed after it: failed, $(job_field s2 .error.message | cut -c1-100)"
