#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchctl volumes (the table of GET /v1/volumes), uchctl bandwidth on a
# running copy (the rate file its nbdkit rate filter re-reads changes;
# a bad rate and an ended job are refused, naming why), wait's rate and
# ETA on a terminal, and a verified copy's verify progress at its end.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
require script

uchd_start
export UCH_SOCKET=$UCH_SOCK

uchctl volumes >"$T/vol.out" || die "volumes failed"
head -1 "$T/vol.out" | grep -Eq '^PATH +SIZE +SERIAL +RO +USED-BY$' ||
  die "volumes header: $(head -1 "$T/vol.out")"
n=$(uchctl --json volumes | jq '.volumes | length')
[ "$(($(wc -l <"$T/vol.out") - 1))" = "$n" ] || die "volumes: $n in the API, table: $(cat "$T/vol.out")"
uchctl --json volumes | jq -r '.volumes[] | select(.mounted) | .path' | while read -r p; do
  grep -Eq "^$p .* system$" "$T/vol.out" || die "$p is mounted, the table says: $(cat "$T/vol.out")"
done
pass "volumes: a table of the $n volumes uchd lists, mounted ones used by 'system'"

MIB=$((1024 * 1024))
make_sparse_image "$T/src.img" $((192 * MIB)) 192    # all data: 24 s at 64M
cat >"$T/bw.json" <<JSON
{"type": "copy", "id": "bw", "verify": true, "limits": {"bandwidth": "64M"},
 "disks": [{"source": {"path": "$T/src.img"}, "destination": {"path": "$T/dst.img"}}]}
JSON
uchctl submit "$T/bw.json" >/dev/null || die "submit"
copying() { [ "$(uchctl --json show bw | jq -r .phase)" = copying ]; }
wait_for 30 copying || die "never copying: $(uchctl --json show bw | jq -c .error)"

# wait on a terminal: a bar with the rate and the time left (the copy
# reports what is done in order: 4 connections of 8 MiB chunks, 4 s
# at 8 MiB/s)
rc=0
COLUMNS=160 script -qfec "uchctl wait bw --timeout 12" /dev/null >"$T/tty.out" || rc=$?
[ "$rc" = 2 ] || die "wait --timeout 12 on a copy at 8 MiB/s exited $rc: $(cat "$T/tty.out")"
grep -aEq 'bw +copying +\[#*-*\] +[0-9.]+% .* [0-9.]+ (KiB|MiB)/s  ETA [0-9]+:[0-9]{2}' "$T/tty.out" ||
  die "no rate and ETA in the bar: $(cat -v "$T/tty.out" | tail -c 600)"
pass "wait: rate and ETA in the bar ($(tr '\r' '\n' <"$T/tty.out" | grep -ao '[0-9.]* [KM]iB/s  ETA [0-9:]*' | tail -1))"

rc=0
uchctl bandwidth bw fast 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'limits.bandwidth' "$T/err" || die "a bad rate: exit $rc, $(cat "$T/err")"
pass "bandwidth: a bad rate is refused, naming the field"

uchctl bandwidth bw 400M >"$T/bw.out" || die "bandwidth failed"
[ "$(cat "$T/bw.out")" = "bw: bandwidth limit now 400M bits/s" ] || die "bandwidth said: $(cat "$T/bw.out")"
[ "$(cat "$T/run/jobs/bw/bandwidth")" = 400M ] || die "the rate file: $(cat "$T/run/jobs/bw/bandwidth")"
uchctl wait bw >/dev/null || die "the copy did not succeed: $(uchctl --json show bw | jq -c .error)"
cmp "$T/src.img" "$T/dst.img" || die "the copy differs"
pass "bandwidth: the running copy's rate file holds 400M; the copy ends, equal"

uchctl --json show bw | jq -e '.progress.verify.bytes_done == .progress.verify.bytes_total and
  .progress.verify.bytes_total == 192 * 1048576 and .progress.verify.percent == 100 and
  .disks[0].verify.percent == 100' >/dev/null ||
  die "verify progress: $(uchctl --json show bw | jq -c '[.progress, .disks[0].verify]')"
pass "the verified copy's verify progress: all 192 MiB compared"

rc=0
uchctl bandwidth bw 10M 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "already ended" "$T/err" || die "an ended job: exit $rc, $(cat "$T/err")"
pass "bandwidth of an ended job: refused"
