#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 409 when a new job writes a file or device an active (running or
# queued) job uses, or uses one an active job writes; the same device
# read twice is fine.  Identity is the file (st_dev+st_ino, so another
# name for it counts) or the block device (st_rdev, so another node for
# it counts).
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
[ "$(id -u)" = 0 ] || skip "mknod of block device nodes needs root"

slow_nbd_source slow 32 4M            # keeps the first job running (64 s)
uchd_start --max-jobs 1               # so the others stay queued (active)

submit() { # submit NAME JSON: prints the status
  echo "$2" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  status
}
copy() { # copy ID SOURCE-OBJ DEST-PATH
  printf '{"type":"copy","id":"%s","disks":[{"source":%s,"destination":{"path":"%s"}}]}' "$1" "$2" "$3"
}

mkdir -p "$T/out"
[ "$(submit run "$(copy run "{\"nbd\":\"$SRC_URI\"}" "$T/out/a.img")")" = 201 ] ||
  die "first job: $(cat "$T/body")"
wait_for 20 job_in_state run running || die "not running"

# the same destination, by its name and through a symlinked directory
[ "$(submit w1 "$(copy w1 "{\"nbd\":\"$SRC_URI\"}" "$T/out/a.img")")" = 409 ] ||
  die "same destination: $(status) $(job_field run .error)"
jq -e '.error.code == "conflict" and .error.field == "disks[0].destination.path"
       and (.error.message | test("run"))' "$T/body" >/dev/null ||
  die "409 body: $(cat "$T/body")"
ln -s "$T/out" "$T/outlink"
[ "$(submit w2 "$(copy w2 "{\"nbd\":\"$SRC_URI\"}" "$T/outlink/a.img")")" = 409 ] ||
  die "same destination through a symlink: $(status)"
pass "409 writing what a running job writes (also under another name)"

# reading what a running job writes
wait_for 10 test -e "$T/out/a.img" || die "no destination file yet"
[ "$(submit r1 "$(copy r1 "{\"path\":\"$T/outlink/a.img\"}" "$T/out/r1.img")")" = 409 ] ||
  die "reading the running job's destination: $(status) $(cat "$T/body")"
jq -e '.error.field == "disks[0].source.path"' "$T/body" >/dev/null ||
  die "field: $(cat "$T/body")"
pass "409 reading what a running job writes"

# a request that reads what it writes itself
truncate -s 1M "$T/self.img"
[ "$(submit self "$(copy self "{\"path\":\"$T/self.img\"}" "$T/outlink/../self.img")")" = 400 ] ||
  die "copy onto itself: $(status) $(cat "$T/body")"
jq -e '.error.field == "disks[0].destination.path"' "$T/body" >/dev/null ||
  die "self field: $(cat "$T/body")"
pass "400 for a copy onto its own source"

# block devices: two nodes of the same device (7:200)
mknod "$T/blk-a" b 7 200
mknod "$T/blk-b" b 7 200
[ "$(submit qa "$(copy qa "{\"path\":\"$T/blk-a\"}" "$T/out/qa.img")")" = 201 ] ||
  die "reading blk-a: $(cat "$T/body")"
[ "$(job_field qa .state)" = queued ] || die "qa not queued"
[ "$(submit qb "$(copy qb "{\"path\":\"$T/blk-b\"}" "$T/out/qb.img")")" = 201 ] ||
  die "reading the same device twice refused: $(cat "$T/body")"
pass "the same device read by two jobs is fine"
[ "$(submit qw "$(copy qw "{\"nbd\":\"$SRC_URI\"}" "$T/blk-b")")" = 409 ] ||
  die "writing a device queued jobs read: $(status) $(cat "$T/body")"
jq -e '.error.message | test("qa|qb")' "$T/body" >/dev/null || die "409 names no job"
pass "409 writing a device a queued job reads (another node, same st_rdev)"

# once the readers are cancelled, the device is free
api POST /v1/jobs/qa/cancel >/dev/null; api POST /v1/jobs/qb/cancel >/dev/null
[ "$(submit qw2 "$(copy qw2 "{\"nbd\":\"$SRC_URI\"}" "$T/blk-b")")" = 201 ] ||
  die "device still taken after cancel: $(cat "$T/body")"
api POST /v1/jobs/qw2/cancel >/dev/null
api POST /v1/jobs/run/cancel >/dev/null
[ "$(status)" = 202 ] || die "cancel running: $(status)"
[ "$(job_wait run 30)" = cancelled ] || die "run: $(job_field run .state)"
for j in w1 w2 r1 self qw; do
  [ ! -e "$T/state/jobs/$j" ] || die "refused job $j left files"
done
pass "cancelled jobs free their disks; refused jobs wrote nothing"
