#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo`'s script works end to end and leaves no process behind:
# the copy equals its source, the export reads back equal, and the
# convert job (virt-v2v on the phony Windows guest) succeeds with a
# converted disk.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require qemu-img
require virt-v2v
require guestfish

start=$(date +%s)
TMPDIR=$T "$UCH_TOP/demo/run" >"$T/demo.out" 2>&1 \
  || die "demo/run exited $?: $(tail -30 "$T/demo.out")"
secs=$(( $(date +%s) - start ))
grep -qx "qcow2 == disk" "$T/demo.out" || die "no qcow2 comparison: $(cat "$T/demo.out")"
grep -qx "read back == disk" "$T/demo.out" || die "no export read back: $(cat "$T/demo.out")"
grep -Eq "^[0-9a-f]+ +copy +succeeded" "$T/demo.out" || die "copy job not listed as succeeded"
disk=$(sed -n 's/^converted: //p' "$T/demo.out")
[ -n "$disk" ] && [[ $disk == */win10-sda ]] || die "no converted disk: $(tail -30 "$T/demo.out")"
qemu-img info --output=json "$disk" | jq -e '.format == "qcow2"' >/dev/null ||
  die "$disk is not a qcow2"
pass "demo ran in $secs s: copy, export, conversion to $disk"
sleep 0.5
procs=$(pgrep -af -- "$T" | grep -v pgrep || true)
[ -z "$procs" ] || die "left running: $procs"
pass "nothing left running"
