#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Error codes as docs/api.md says: a full destination fails the job
# with `destination` (not copy_failed) naming the destination's path and
# ENOSPC (a 1 MiB tmpfs in a mount namespace of the test's own).  And a
# worker's files are its own: under a uchd started with umask 022, a
# qcow2 destination the worker creates is 0600.
if [ -z "${UCH_TEST_MOUNT_NS:-}" ]; then
  command -v unshare >/dev/null || { echo "SKIP: unshare not installed"; exit 77; }
  UCH_TEST_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
source "$UCH_TOP/tests/lib/functions.sh"
require jq
require qemu-img

mkdir -p "$T/small"
mount -t tmpfs -o size=1m uch-test-small "$T/small" ||
  skip "cannot mount a tmpfs (not root?)"
cleanup_add "umount -l $T/small"
head -c 4M /dev/urandom >"$T/src.img"
truncate -s 4M "$T/small/dst.img"

umask 022
uchd_start
printf '{"type":"copy","id":"full","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
  "$T/src.img" "$T/small/dst.img" >"$T/full.json"
api POST /v1/jobs "$T/full.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
[ "$(job_wait full 120)" = failed ] || die "full: $(job_field full .state)"
api GET /v1/jobs/full >"$T/full.out"
jq -e --arg p "$T/small/dst.img" '.error.code == "destination" and
    (.error.message | contains($p)) and
    (.error.message | contains("No space left on device"))' "$T/full.out" \
  >/dev/null || die "full: $(jq -c .error "$T/full.out")"
pass "a full destination: $(jq -r .error.message "$T/full.out")"

printf '{"type":"copy","id":"q","disks":[{"source":{"path":"%s"},"destination":{"path":"%s","format":"qcow2"}}]}\n' \
  "$T/src.img" "$T/q.qcow2" >"$T/q.json"
job_succeeds q "$T/q.json" 120
[ "$(stat -c %a "$T/q.qcow2")" = 600 ] ||
  die "the worker's qcow2 is mode $(stat -c %a "$T/q.qcow2") under umask 022"
pass "a destination the worker creates is 0600 whatever uchd's umask"
