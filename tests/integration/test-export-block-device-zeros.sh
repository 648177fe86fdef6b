#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An exported block device sends only its data (issue 16: the cloud
# wave's copies sent every zero byte of their volumes).  nbdkit's file
# plugin gives a block device one data extent; our zeroscan filter
# (filters/zeroscan.c) reports its zero runs as holes:
#  - the filter alone, on a file of written zeros holding data at known
#    places (the file plugin reports it all data): nbdinfo --map shows
#    those places as data, the rest as hole,zero, at the default 64K
#    granularity and at 4K with a 1M bound on each call's read, in front
#    of a plugin with no extents at all (noextents); a bad granularity is
#    refused naming it;
#  - through uchd: a 256 MiB loop device holding 16 MiB, attached as a
#    volume, exported over TLS-PSK and copied by a copy job through
#    nbdkit's stats filter (the bytes that crossed from the export): only
#    about the data is read, and the copy equals the device.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdinfo
require losetup
require jq
[ "$(id -u)" = 0 ] || skip "needs root for a loop device"
filter=$UCH_BUILD/uch-zeroscan-filter.so
[ -r "$filter" ] || die "$filter is not built (make all)"
MIB=$((1024 * 1024))
KIB=1024

# --- the filter alone
head -c $((16 * MIB)) /dev/zero >"$T/zeros.img"      # written, not sparse
printf X | dd of="$T/zeros.img" bs=1 seek=$((MIB + 5)) conv=notrunc status=none
head -c 100000 /dev/urandom |
  dd of="$T/zeros.img" bs=1 seek=$((5 * MIB)) conv=notrunc status=none
head -c $((64 * KIB)) /dev/urandom |
  dd of="$T/zeros.img" bs=1K seek=$((16 * KIB - 64)) conv=notrunc status=none

map() { # [OPTION... [-- PARAM...]]: nbdinfo --map of zeros.img, nbdkit's
  # OPTIONs before the plugin, PARAMs after, as "OFFSET LENGTH TYPE" lines
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  # shellcheck disable=SC2016 # $uri is nbdkit --run's, expanded by its shell
  nbdkit -r -U - "${opts[@]}" file "$T/zeros.img" "$@" \
    --run 'nbdinfo --map --json "$uri"' |
    jq -r '.[] | "\(.offset) \(.length) \(.type)"'
}
[ "$(map)" = "0 $((16 * MIB)) 0" ] ||
  die "the file plugin alone was expected to report one data extent: $(map)"
want="0 $MIB 3
$MIB $((64 * KIB)) 0
$((MIB + 64 * KIB)) $((4 * MIB - 64 * KIB)) 3
$((5 * MIB)) $((128 * KIB)) 0
$((5 * MIB + 128 * KIB)) $((11 * MIB - 192 * KIB)) 3
$((16 * MIB - 64 * KIB)) $((64 * KIB)) 0"
got=$(map --filter="$filter")
[ "$got" = "$want" ] || die "zeroscan map:
$got
expected:
$want"
pass "zeroscan: data at 1M+5, 5M (100000 bytes), 16M-64K; the rest hole,zero in 64K granules"

want4k="0 $MIB 3
$MIB $((4 * KIB)) 0
$((MIB + 4 * KIB)) $((4 * MIB - 4 * KIB)) 3
$((5 * MIB)) $((100 * KIB)) 0
$((5 * MIB + 100 * KIB)) $((11 * MIB - 164 * KIB)) 3
$((16 * MIB - 64 * KIB)) $((64 * KIB)) 0"
got=$(map --filter="$filter" --filter=noextents -- zeroscan-granularity=4K \
  zeroscan-limit=1M)
[ "$got" = "$want4k" ] || die "zeroscan 4K, 1M a call, no plugin extents:
$got
expected:
$want4k"
pass "zeroscan over a plugin without extents, 4K granules, 1M read a call"

if nbdkit -r -U - --filter="$filter" file "$T/zeros.img" \
     zeroscan-granularity=3000 --run true 2>"$T/bad.err"; then
  die "zeroscan-granularity=3000 was accepted"
fi
grep -q 'zeroscan-granularity=3000: must be a power of 2 from 512 to 16M' \
  "$T/bad.err" || die "bad granularity: $(cat "$T/bad.err")"
pass "a bad granularity is refused: $(grep -o 'zeroscan-granularity=3000: .*' "$T/bad.err")"

# --- an attached volume exported by uchd, copied by uchd
VOL_ID=5e205ca2-1e16-4a7e-9b1a-0c0ffee00016
make_sparse_image "$T/vol.img" $((256 * MIB)) 16
dev=$(losetup -f --show "$T/vol.img" 2>/dev/null) || skip "no loop device here"
cleanup_add "losetup -d $dev"
mkdir "$T/by-id"
ln -s "$dev" "$T/by-id/virtio-${VOL_ID:0:20}"
uchd_start --volume-by-id-dir "$T/by-id"

port=$(free_port)
cat >"$T/exp.json" <<JSON
{"type": "export", "id": "exp",
 "listen": {"tcp": "127.0.0.1:$port"},
 "disks": [{"source": {"volume": "$VOL_ID"}, "name": "vol"}]}
JSON
api POST /v1/jobs "$T/exp.json" >/dev/null
[ "$(status)" = 201 ] || die "submit export: $(status) $(cat "$T/body")"
export_serving exp
psk=$(job_field exp .result.tls_psk_file)
grep -q -- "--filter=$filter" "$T/state/jobs/exp/job.log" ||
  die "the export's nbdkit has no zeroscan: $(grep nbdkit "$T/state/jobs/exp/job.log")"

# the reading side: nbdkit's nbd plugin to the export, counted by the
# stats filter, on a socket the copy job reads
nbdkit -r -f -U "$T/meter.sock" -P "$T/meter.pid" --filter=stats nbd \
  hostname=127.0.0.1 port="$port" export=vol tls=require tls-username=uch \
  tls-psk="$psk" statsfile="$T/stats" >>"$T/nbdkit-meter.log" 2>&1 &
meter=$!
cleanup_add "kill $meter"
wait_for 10 test -s "$T/meter.pid" || die "the meter nbdkit did not start"

copy_nbd copy "nbd+unix:///?socket=$T/meter.sock"
st=$(job_wait copy 120)
[ "$st" = succeeded ] || die "copy ended $st: $(job_field copy .error); the meter: $(tail -5 "$T/nbdkit-meter.log")"
cmp "$dev" "$T/copy.img" || die "the copy differs from the device"
pass "the volume's copy equals the device"

kill "$meter"
wait "$meter" 2>/dev/null || true
read_mib=$(awk '/^read:/ { for (i = 1; i <= NF; i++) if ($i ~ /^MiB,?$/) print $(i-1) }' \
  "$T/stats")
[ -n "$read_mib" ] || die "no read line in the stats: $(cat "$T/stats")"
# 16 MiB of data in 2 MiB runs on 64K boundaries: no granule holds both
awk -v r="$read_mib" 'BEGIN { exit !(r >= 16 && r <= 17) }' ||
  die "$read_mib MiB crossed from the export of a 256 MiB device holding 16 MiB"
pass "$read_mib MiB crossed for 16 MiB of data on a 256 MiB device"
api POST /v1/jobs/exp/cancel >/dev/null
[ "$(job_wait exp 30)" = cancelled ] || die "the export did not end on cancel"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
