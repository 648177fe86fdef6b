#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `uch-job run FILE` without a daemon: progress on stderr, the final job
# on stdout, exit 0/1/2 for succeeded/failed/cancelled; failures say what
# to fix; a second worker for a job that has one is refused.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

make_sparse_image "$T/disk.img" $((64 * 1024 * 1024)) 8
req() { echo "$2" >"$T/$1.json"; echo "$T/$1.json"; }

# --- success, default state dir printed
f=$(req ok '{"type": "copy", "id": "ok", "disks": [{"source": {"path": "'"$T/disk.img"'"},
  "destination": {"path": "'"$T/out.img"'"}}]}')
TMPDIR=$T uch-job run "$f" >"$T/ok.out" 2>"$T/ok.err" || die "run exited $?: $(cat "$T/ok.err")"
jq -e '.id == "ok" and .state == "succeeded" and .progress.percent == 100' "$T/ok.out" \
  >/dev/null || die "stdout: $(cat "$T/ok.out")"
grep -q '^copying disk 1/1: 100%$' "$T/ok.err" || die "stderr: $(cat "$T/ok.err")"
state_dir=$(sed -n 's/^uch-job: state directory //p' "$T/ok.err")
[ -n "$state_dir" ] && [ -f "$state_dir/jobs/ok/state.json" ] || die "state dir not printed"
rm -rf "$state_dir"
cmp "$T/disk.img" "$T/out.img" || die "copy differs"
pass "run: progress on stderr, final job on stdout, exit 0"

# --- invalid request: nothing runs, the field is named
f=$(req bad '{"type": "copy", "disks": [{"source": {"path": "relative"}, "destination": {"path": "/x"}}]}')
rc=0; uch-job run --state-dir "$T/s-bad" "$f" >/dev/null 2>"$T/bad.err" || rc=$?
[ $rc = 1 ] || die "invalid request exited $rc"
grep -q 'disks\[0\]\.source\.path' "$T/bad.err" || die "bad: $(cat "$T/bad.err")"
pass "invalid request: exit 1 naming the field"

# --- a source that is not there: the job fails with the cause
f=$(req nosrc '{"type": "copy", "id": "nosrc", "disks": [{"source": {"nbd": "nbd+unix:///?socket='"$T"'/none.sock"},
  "destination": {"path": "'"$T/out2.img"'"}}]}')
rc=0; uch-job run --state-dir "$T/s" "$f" >"$T/nosrc.out" 2>/dev/null || rc=$?
[ $rc = 1 ] || die "missing source exited $rc"
jq -e '.state == "failed" and (.error.message | test("^disks\\[0\\]\\.source: nbd\\+unix:///\\?socket=.*/none.sock: .*No such file"))' \
  "$T/nosrc.out" >/dev/null || die "error: $(jq -c .error "$T/nosrc.out")"
pass "missing source: failed, $(jq -r .error.message "$T/nosrc.out")"

# --- nbdkit cannot open its source: nbdkit's own words
f=$(req nokit '{"type": "copy", "id": "nokit", "disks": [{"source": {"nbdkit": {"plugin": "file",
  "file": "'"$T"'/gone.img"}}, "destination": {"path": "'"$T/out3.img"'"}}]}')
rc=0; uch-job run --state-dir "$T/s" "$f" >"$T/nokit.out" 2>/dev/null || rc=$?
[ $rc = 1 ] || die "nbdkit source failure exited $rc"
jq -e --arg p "$T/gone.img" '.error.message | startswith("disks[0].source: nbdkit: ") and
  contains($p + ": No such file or directory")' "$T/nokit.out" >/dev/null ||
  die "error: $(jq -c .error "$T/nokit.out")"
pass "nbdkit source failure: $(jq -r .error.message "$T/nokit.out")"

# --- destination directory missing
f=$(req nodst '{"type": "copy", "id": "nodst", "disks": [{"source": {"path": "'"$T/disk.img"'"},
  "destination": {"path": "'"$T"'/no/such/dir/out.img"}}]}')
rc=0; uch-job run --state-dir "$T/s" "$f" >"$T/nodst.out" 2>/dev/null || rc=$?
[ $rc = 1 ] || die "missing destination dir exited $rc: $(cat "$T/nodst.out")"
jq -e --arg p "$T/no/such/dir/out.img" '.error.message ==
  "disks[0].destination: \($p): No such file or directory"' "$T/nodst.out" >/dev/null ||
  die "error: $(jq -c .error "$T/nodst.out")"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
pass "missing destination directory named"

# --- vddk without the plugin: says what to install
if ! nbdkit vddk --version >/dev/null 2>&1; then
  f=$(req vddk '{"type": "copy", "id": "vddk", "disks": [{"source": {"nbdkit": {"plugin": "vddk",
    "server": "esx.example", "vm": "moref=vm-42", "file": "[ds1] vm/vm.vmdk", "user": "root",
    "password": "x"}}, "destination": {"path": "'"$T/vddk.img"'"}}]}')
  rc=0; uch-job run --state-dir "$T/s" "$f" >"$T/vddk.out" 2>/dev/null || rc=$?
  [ $rc = 1 ] || die "vddk exited $rc"
  jq -e '.error.message | test("^disks\\[0\\]\\.source: nbdkit has no vddk plugin .*: install VMware VDDK and nbdkit-vddk-plugin$")' \
    "$T/vddk.out" >/dev/null || die "vddk error: $(jq -c .error "$T/vddk.out")"
  pass "vddk: $(jq -r .error.message "$T/vddk.out")"
fi

# --- SIGINT in the foreground cancels: exit 2
nbdkit_serve slow "$T/disk.img" --filter=rate -- rate=8M
f=$(req slow '{"type": "copy", "id": "slow", "disks": [{"source": {"nbd": "'"$NBD_URI"'"},
  "destination": {"path": "'"$T/slow.img"'"}}]}')
: >"$T/slow.err"
uch-job run --state-dir "$T/s" "$f" >"$T/slow.out" 2>"$T/slow.err" &
pid=$!
wait_for 20 grep -q '^copying disk' "$T/slow.err" || die "never copying: $(cat "$T/slow.err")"

# a second worker for the same job is refused and changes nothing
rc=0; uch-job --state-dir "$T/s" --runtime-dir "$T/s/run" start slow 2>"$T/second.err" || rc=$?
[ $rc = 1 ] && grep -q "another worker holds" "$T/second.err" ||
  die "second worker: exit $rc, $(cat "$T/second.err")"
[ "$(jq -r .worker.pid "$T/s/jobs/slow/state.json")" = "$pid" ] || die "state taken over"
pass "second worker refused by the lock"

kill -INT $pid
rc=0; wait $pid || rc=$?
[ $rc = 2 ] || die "cancelled run exited $rc"
jq -e '.state == "cancelled"' "$T/slow.out" >/dev/null || die "not cancelled: $(cat "$T/slow.out")"
[ "$(jq -r .state "$T/s/jobs/slow/state.json")" = cancelled ] || die "state.json not cancelled"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
pass "SIGINT: cancelled, exit 2, nothing left"
