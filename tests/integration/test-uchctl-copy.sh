#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchctl against a real uchd: submit (stdin and file), list, show, wait
# (exit 0 on success), logs -f, and --json that jq parses.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

make_sparse_image "$T/disk.img" $((64 * 1024 * 1024)) 8
nbdkit -f -U "$T/src.sock" -P "$T/src.pid" file "$T/disk.img" &
cleanup_add "kill $!"
wait_for 10 test -s "$T/src.pid" || die "nbdkit did not start"
uchd_start
export UCH_SOCKET=$UCH_SOCK

job() { # job OUT: a copy request of the export into $T/OUT
  printf '{"type":"copy","disks":[{"source":{"nbd":"nbd+unix:///?socket=%s"},"destination":{"path":"%s"}}]}\n' \
    "$T/src.sock" "$T/$1"
}

# submit from stdin prints the id alone
id1=$(job out1.img | uchctl submit) || die "submit from stdin failed"
[[ $id1 =~ ^[A-Za-z0-9._-]+$ ]] || die "submit printed '$id1', not an id"
pass "submit - prints the id: $id1"

# submit from a file
job out2.img >"$T/job2.json"
id2=$(uchctl submit "$T/job2.json") || die "submit FILE failed"
[ "$id2" != "$id1" ] || die "same id twice"
pass "submit FILE"

uchctl wait "$id1" >"$T/wait1.out" || die "wait $id1 exited $?: $(cat "$T/wait1.out")"
grep -q "^$id1: succeeded$" "$T/wait1.out" || die "wait printed: $(cat "$T/wait1.out")"
grep -q $'\r' "$T/wait1.out" && die "carriage returns when not on a terminal"
pass "wait exits 0 on success, one line per change off a terminal"
uchctl wait "$id2" "$id1" >"$T/wait2.out" || die "wait $id2 $id1 failed"
grep -q "^$id2: succeeded$" "$T/wait2.out" && grep -q "^$id1: succeeded$" "$T/wait2.out" \
  || die "wait of two jobs printed: $(cat "$T/wait2.out")"
pass "wait of two jobs"
cmp "$T/disk.img" "$T/out1.img" || die "copy 1 differs"
cmp "$T/disk.img" "$T/out2.img" || die "copy 2 differs"
pass "both copies are identical to the source"

uchctl list >"$T/list.out"
head -1 "$T/list.out" | grep -Eq '^ID +TYPE +STATE +PHASE +PROGRESS +CREATED$' \
  || die "list header: $(head -1 "$T/list.out")"
grep -Eq "^$id1 +copy +succeeded +succeeded +100.0% " "$T/list.out" \
  || die "list has no row for $id1: $(cat "$T/list.out")"
[ "$(wc -l <"$T/list.out")" -eq 3 ] || die "list has not 2 jobs: $(cat "$T/list.out")"
pass "list: table with both jobs"
uchctl list --state running | grep -q "$id1" && die "list --state running shows a finished job"
uchctl list --state succeeded | grep -q "$id2" || die "list --state succeeded misses $id2"
pass "list --state filters"

uchctl show "$id1" >"$T/show.out" || die "show failed"
grep -q "^Job: *$id1$" "$T/show.out" || die "show: $(cat "$T/show.out")"
grep -q "^State: *succeeded$" "$T/show.out" || die "show state: $(cat "$T/show.out")"
grep -q "^Disk 0: *nbd+unix:///?socket=$T/src.sock -> $T/out1.img" "$T/show.out" \
  || die "show disk: $(cat "$T/show.out")"
grep -q "100.0%  8.0 MiB / 8.0 MiB" "$T/show.out" \
  || die "show progress: $(cat "$T/show.out")"
pass "show: state, disk, progress"

uchctl --json show "$id1" | jq -e ".id == \"$id1\" and .state == \"succeeded\"" >/dev/null \
  || die "show --json"
uchctl --json list | jq -e '.jobs | length == 2' >/dev/null || die "list --json"
uchctl --json health | jq -e '.status == "ok"' >/dev/null || die "health --json"
job out3.img | uchctl --json submit - >"$T/sub.json"
jq -e '.state == "queued" or .state == "running"' "$T/sub.json" >/dev/null \
  || die "submit --json: $(cat "$T/sub.json")"
id3=$(jq -r .id "$T/sub.json")
uchctl --json wait "$id3" | jq -e '.state == "succeeded"' >/dev/null || die "wait --json"
pass "--json output parses with jq"

uchctl health | grep -q '^status: ok$' || die "health: $(uchctl health)"
pass "health"

# logs: the whole log; -f ends by itself once the job is final
uchctl logs "$id1" >"$T/log1" || die "logs failed"
curl -s --unix-socket "$UCH_SOCK" "http://uch/v1/jobs/$id1/log" >"$T/log1.curl"
cmp "$T/log1" "$T/log1.curl" || die "logs differs from the API's log"
[ -s "$T/log1" ] || die "the log is empty"
timeout 20 uchctl logs -f "$id2" >"$T/log2" || die "logs -f did not end by itself"
pass "logs and logs -f"

# logs -f on a job still running follows it to its end: the whole log.
slow_nbd_source slow 8 32M
printf '{"type":"copy","disks":[{"source":{"nbd":"%s"},"destination":{"path":"%s"}}]}\n' \
  "$SRC_URI" "$T/out4.img" >"$T/job4.json"
id4=$(uchctl submit "$T/job4.json")
timeout 60 uchctl logs -f "$id4" >"$T/log4" || die "logs -f exited $?"
[ "$(uchctl --json show "$id4" | jq -r .state)" = succeeded ] \
  || die "logs -f ended before the job did"
curl -s --unix-socket "$UCH_SOCK" "http://uch/v1/jobs/$id4/log" >"$T/log4.curl"
cmp "$T/log4" "$T/log4.curl" || die "logs -f missed part of the log"
pass "logs -f follows a running job to its end"

# A log longer than one answer of uchd (4 MiB) comes out whole.
python3 -c 'import sys
for i in range(200000): sys.stdout.write("line %06d of a long log\n" % i)' \
  >>"$T/state/jobs/$id4/job.log"
uchctl logs "$id4" | cmp - "$T/state/jobs/$id4/job.log" || die "long log differs"
timeout 20 uchctl logs -f "$id4" | cmp - "$T/state/jobs/$id4/job.log" \
  || die "long log differs with -f"
pass "a log of $(stat -c %s "$T/state/jobs/$id4/job.log") bytes comes out whole"

uchctl delete "$id1" | grep -q "deleted" || die "delete"
uchctl show "$id1" 2>"$T/err" && die "show of a deleted job succeeded"
pass "delete"
