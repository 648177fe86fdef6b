#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# On a terminal, `uchctl wait` redraws a progress bar in place (\r);
# `uchctl cancel` ends a running job cancelled and wait then exits 1.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require script
require jq

uchd_start
export UCH_SOCKET=$UCH_SOCK

# job OUT: a copy of the last slow_nbd_source into $T/OUT.  Each step has
# its own source: Debian 12's nbdkit 1.32.5 may abort when a cancelled
# client drops its connections with reads asleep in the rate filter
# (raw_send_socket: Assertion `sock >= 0'; fixed in 1.33.10, 9d82aa4f).
job() {
  printf '{"type":"copy","disks":[{"source":{"nbd":"%s"},"destination":{"path":"%s"}}]}\n' \
    "$SRC_URI" "$T/$1"
}

# rate is in bits/s: 32 Mbit/s moves 16 MiB of data in about 4 s.
slow_nbd_source src1 16 32M
id=$(job out1.img | uchctl submit) || die "submit failed"
slow_nbd_source src1b 16 32M
idb=$(job out1b.img | uchctl submit) || die "submit failed"
COLUMNS=100 script -qec "uchctl wait $id $idb" "$T/typescript" >/dev/null </dev/null \
  || die "wait on a terminal exited $?: $(cat "$T/typescript")"
redraws=$(tr -cd '\r' <"$T/typescript" | wc -c)
[ "$redraws" -ge 6 ] || die "only $redraws redraws: $(cat -v "$T/typescript")"
for i in $id $idb; do
  grep -aq "$i succeeded  \[#*\] 100.0%   16.0 MiB /  16.0 MiB" "$T/typescript" \
    || die "no finished bar for $i: $(cat -v "$T/typescript")"
done
grep -aEq "\[#*-+\] +[0-9.]+%" "$T/typescript" \
  || die "no bar part way: $(cat -v "$T/typescript")"
grep -aq $'\033\\[1A' "$T/typescript" || die "two bars, but no cursor-up to redraw both"
pass "two progress bars redrawn in place ($redraws times)"

slow_nbd_source src2 16 32M
id=$(job out2.img | uchctl submit) || die "submit failed"
wait_for 20 sh -c "uchctl show $id | grep -q '^State: *running'" || die "never running"
uchctl cancel "$id" | grep -qx "$id: cancel requested" || die "cancel's output"
rc=0; uchctl wait "$id" --timeout 30 2>"$T/err" >/dev/null || rc=$?
[ $rc -eq 1 ] || die "wait on a cancelled job exited $rc"
grep -q "^uchctl: job $id was cancelled" "$T/err" || die "wait: $(cat "$T/err")"
[ "$(uchctl --json show "$id" | jq -r .state)" = cancelled ] || die "not cancelled"
pass "cancel: the job ends cancelled, wait exits 1"

# wait --timeout on a job that is still running: exit 2
slow_nbd_source src3 16 32M
id=$(job out3.img | uchctl submit) || die "submit failed"
rc=0; uchctl wait "$id" --timeout 0.5 >/dev/null 2>"$T/err" || rc=$?
[ $rc -eq 2 ] || die "wait --timeout exited $rc"
grep -q "timed out" "$T/err" || die "timeout message: $(cat "$T/err")"
uchctl cancel "$id" >/dev/null
uchctl wait "$id" >/dev/null 2>&1 || true
uchctl delete "$id" >/dev/null || die "delete after cancel"
pass "wait --timeout exits 2"
