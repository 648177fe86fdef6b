#!/usr/bin/env bash
# `make demo`'s script works end to end and leaves no process behind.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require qemu-img

start=$(date +%s)
UCH_CACHE=$T/cache TMPDIR=$T "$UCH_TOP/demo/run" >"$T/demo.out" 2>&1 \
  || die "demo/run exited $?: $(tail -20 "$T/demo.out")"
secs=$(( $(date +%s) - start ))
grep -qx "qcow2 == disk" "$T/demo.out" || die "no qcow2 comparison: $(cat "$T/demo.out")"
grep -qx "read back == disk" "$T/demo.out" || die "no export read back: $(cat "$T/demo.out")"
grep -Eq "^[0-9a-f]+ +copy +succeeded" "$T/demo.out" || die "copy job not listed as succeeded"
pass "demo ran in $secs s"
sleep 0.5
procs=$(pgrep -af -- "$T" | grep -v pgrep || true)
[ -z "$procs" ] || die "left running: $procs"
pass "nothing left running"
