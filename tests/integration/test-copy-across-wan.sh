#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=240
# A copy across a WAN: nbdkit serves a disk on the loopback of another
# network namespace, reached only through tests/lib/wan-proxy.py (no
# netem in this kernel) with a round trip of 100 ms and 200 Mbit/s.
# - onto raw (uch-job's libnbd copy): equal, and the job shows the
#   sizing it chose: the round trip it measured (the proxy's 100 ms at
#   least), the bandwidth it assumed, connections x reads >= twice the
#   bandwidth-delay product; its log says its 4 connections were made
#   at once (the source measured on the first ready) and that it read
#   over them;
# - from a server that takes one connection at a time (qemu-nbd -e 1):
#   equal, read over the one it served (the others, waiting behind it,
#   given up once it says it does not take several);
# - onto qcow2 (the same copy into qemu-nbd, not nbdcopy) with the
#   request's "link": the same, the given round trip and bandwidth named
#   as the request's, its connections (at most qemu-nbd's 4) made while
#   the source was measured and read over;
# - a bad "link" is refused naming its field.
# The speed across it is bench/wan's (ratios to the same link at 0 ms).
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require qemu-img
require jq
require ip
require python3
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"

MIB=$((1024 * 1024))
RTT=100
BITS=200000000
NS=uchwan$$
VETH=uchwv$$                    # our end; the peer is in $NS
NET=10.$(( 150 + RANDOM % 40 )).$(( RANDOM % 250 ))
cleanup_add "ip netns del $NS"
cleanup_add "ip netns pids $NS | xargs -r kill"
cleanup_add "ip link del $VETH"
netns_link "$NS" "$VETH" "$NET" || skip "cannot make a network namespace and a veth pair"

# 256 MiB with 32 MiB of data in 8 places, on the namespace's loopback
make_sparse_image "$T/disk.img" $((256 * MIB)) 32
nbd_port=$(free_port)
ip netns exec "$NS" nbdkit -f -r -p "$nbd_port" -i 127.0.0.1 -P "$T/nbdkit.pid" \
  file "$T/disk.img" >>"$T/nbdkit.log" 2>&1 &
cleanup_add "kill $!"
wait_for 10 test -s "$T/nbdkit.pid" || die "nbdkit did not start"
proxy_port=$(free_port)
ip netns exec "$NS" python3 "$UCH_TOP/tests/lib/wan-proxy.py" "$NET.2" "$proxy_port" \
  127.0.0.1 "$nbd_port" "$RTT" "$BITS" "$T/proxy.ready" 2>>"$T/proxy.log" &
cleanup_add "kill $!"
wait_for 10 test -s "$T/proxy.ready" || die "the proxy did not start: $(cat "$T/proxy.log")"
uri="nbd://$NET.2:$proxy_port/"

uchd_start

# sized MODE ID: the job's disks[0].sizing is sane for a 100 ms link
sized() {
  local sz
  sz=$(job_field "$1" '.result.disks[0].sizing')
  [ "$sz" != null ] || die "$1: the job shows no sizing: $(job_field "$1" .result)"
  jq -e --argjson rtt "$RTT" '.rtt_ms >= $rtt * 0.95' <<<"$sz" >/dev/null ||
    die "$1: a round trip under the link's $RTT ms: $sz"
  jq -e '.connections >= 4 and .request_size >= 1048576 and
         .in_flight_bytes == .connections * .requests * .request_size and
         .in_flight_bytes >= 2 * .bdp_bytes and
         (.bdp_bytes - .bandwidth_bits / 8 * .rtt_ms / 1000 | fabs) <=
           .bandwidth_bits / 8 * 0.1 / 1000 + 1' <<<"$sz" >/dev/null ||
    die "$1: sizing short of the bandwidth-delay product: $sz"
  echo "$sz"
}

# raw, nothing said of the link: measured, bandwidth assumed
job_succeeds raw <(copy_json raw "{\"nbd\": \"$uri\"}" "$T/raw.img") 180
cmp "$T/disk.img" "$T/raw.img" || die "the raw copy across the WAN differs"
sz=$(sized raw)
[ "$(jq -r '.rtt_from + " " + .bandwidth_from' <<<"$sz")" = "measured assumed" ] ||
  die "raw: where the figures came from: $sz"
grep -q "link: rtt" "$T/state/jobs/raw/job.log" || die "raw: the log says nothing of the link"
# its connections were made at once, not one after the other (each a
# handshake of several round trips)
grep -q "disk 1: 4 of 4 connections connected at once, the source measured on the first" \
  "$T/state/jobs/raw/job.log" || die "raw: not connected at once: $(cat "$T/state/jobs/raw/job.log")"
grep -q "disk 1: copying from offset 0 over $(jq -r .connections <<<"$sz") connections" \
  "$T/state/jobs/raw/job.log" || die "raw: not read over the connections sized: $(cat "$T/state/jobs/raw/job.log")"
pass "raw copy across ${RTT} ms equal; sizing $(jq -c '{rtt_ms, connections, requests, request_size, in_flight_bytes}' <<<"$sz")"

# a server that takes one connection at a time (qemu-nbd's default,
# shared=1): of the four started at once it serves one, the source is
# measured on that one, the others (waiting behind it for as long as it
# is open) are given up, and the copy reads over the one
qport=$(free_port)
ip netns exec "$NS" qemu-nbd -r -t -e 1 -f raw -b "$NET.2" -p "$qport" \
  --pid-file="$T/qemu-nbd.pid" "$T/disk.img" >>"$T/qemu-nbd.log" 2>&1 &
cleanup_add "kill $!"
wait_for 10 test -s "$T/qemu-nbd.pid" || die "qemu-nbd did not start: $(cat "$T/qemu-nbd.log")"
job_succeeds one <(copy_json one "{\"nbd\": \"nbd://$NET.2:$qport/\"}" "$T/one.img") 120
cmp "$T/disk.img" "$T/one.img" || die "the copy from a server of one connection differs"
grep -q "disk 1: 1 of 4 connections connected at once, the source measured on the first" "$T/state/jobs/one/job.log" &&
  grep -qE "disk 1: copying from offset 0 over 1 connection(,|$)" "$T/state/jobs/one/job.log" ||
  die "one: not read over the one connection: $(cat "$T/state/jobs/one/job.log")"
pass "raw copy from a server of one connection equal, read over that one"

# qcow2 (uch-job's copy into qemu-nbd), the link as the request gives it
cat >"$T/q.json" <<JSON
{"type": "copy", "id": "q", "link": {"rtt_ms": $RTT, "bandwidth": "$BITS"},
 "disks": [{"source": {"nbd": "$uri"},
            "destination": {"path": "$T/q.qcow2", "format": "qcow2"}}]}
JSON
job_succeeds q "$T/q.json" 180
qemu-img compare -q -f raw -F qcow2 "$T/disk.img" "$T/q.qcow2" ||
  die "the qcow2 copy across the WAN differs"
sz=$(sized q)
jq -e --argjson bits "$BITS" --argjson rtt "$RTT" \
  '.rtt_from == "link" and .rtt_ms == $rtt and .bandwidth_from == "link" and
   .bandwidth_bits == $bits and .connections <= 4' <<<"$sz" >/dev/null ||
  die "q: not the request's link, or past qemu-nbd's 4 clients: $sz"
grep -q "link: rtt" "$T/state/jobs/q/job.log" || die "q: the log says nothing of the link"
grep -q "disk 1: 4 of 4 connections connected at once, the source measured on the first" \
  "$T/state/jobs/q/job.log" || die "q: not connected at once: $(cat "$T/state/jobs/q/job.log")"
grep -q "disk 1: copying from offset 0 over $(jq -r .connections <<<"$sz") connections" \
  "$T/state/jobs/q/job.log" || die "q: not read over the connections sized: $(cat "$T/state/jobs/q/job.log")"
! grep -q "running nbdcopy" "$T/state/jobs/q/job.log" || die "q: copied by nbdcopy"
pass "qcow2 copy with the request's link equal; sizing $(jq -c '{connections, requests, request_size}' <<<"$sz")"

# a bad link names its field
for bad in '"link": {"rtt_ms": -1}|link.rtt_ms' '"link": {"rtt_ms": 10001}|link.rtt_ms' \
           '"link": {"bandwidth": "fast"}|link.bandwidth' '"link": {"mtu": 9000}|link.mtu' \
           '"link": 100|link'; do
  body=${bad%|*} field=${bad#*|}
  st=$(submit bad "{\"type\": \"copy\", $body, \"disks\": [{\"source\": {\"nbd\": \"$uri\"}, \"destination\": {\"path\": \"$T/bad.img\"}}]}")
  [ "$st" = 400 ] || die "$body: $st $(cat "$T/body")"
  [ "$(jq -r .error.field "$T/body")" = "$field" ] ||
    die "$body: the error names $(jq -c .error "$T/body"), not $field"
done
[ ! -e "$T/bad.img" ] || die "a refused request wrote its destination"
pass "a bad link is refused naming its field"
