# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced after appliances.sh by the test and the bench of a wave across
# a WAN: the pool's appliances cut off from one another, and a WAN
# front end between them (tests/lib/wan-proxy.py in a namespace of its
# own on the pool's bridge), which the destinations reach the source's
# exports through.
#
# The appliances' ports on the bridge are isolated (bridge port
# isolation: an isolated port reaches only the ports that are not), so
# no appliance reaches another directly; the controller (the bridge
# itself, SSH) and the front end are not isolated, so every appliance
# reaches them. The source advertises the front end's address in its
# URIs (uch_export_advertise, ansible/README.md "Inventory"); the
# front end forwards each lane's port to the same port on the source.

WAN_NS=uchww$APPL_SUFFIX
WAN_ADDR=$APPL_NET.250
WAN_PROXY_PID=

# wan_pool_isolate: isolates every appliance's port on the bridge
# (call after the last appliance_add, before wan_front_add).
wan_pool_isolate() {
  local port
  for port in /sys/class/net/"$APPL_BR"/brif/*; do
    bridge link set dev "${port##*/}" isolated on ||
      skip "bridge port isolation not supported here"
  done
}

# wan_front_add: the front end's namespace, on the bridge at $WAN_ADDR.
wan_front_add() {
  local veth=uchwf$APPL_SUFFIX
  ip netns add "$WAN_NS" || die "cannot create namespace $WAN_NS"
  cleanup_add "ip netns del $WAN_NS"
  cleanup_add "ip netns pids $WAN_NS | xargs -r kill"
  ip link add "$veth" type veth peer name "${veth}p" || die "no veth"
  cleanup_add "ip link del $veth"
  ip link set "${veth}p" netns "$WAN_NS"
  ip link set "$veth" master "$APPL_BR"
  ip link set "$veth" up
  ip netns exec "$WAN_NS" ip addr add "$WAN_ADDR/24" dev "${veth}p"
  ip netns exec "$WAN_NS" ip link set "${veth}p" up
  ip netns exec "$WAN_NS" ip link set lo up
}

# wan_proxy_start RTT-MS BITS-PER-S TARGET-ADDR PORT...: the proxy on
# $WAN_ADDR, each PORT forwarded to the same port of TARGET-ADDR, all
# over one link (RTT-MS round trip, BITS-PER-S each way, 0: no cap).
wan_proxy_start() {
  local rtt=$1 bits=$2 target=$3 ports; shift 3
  ports=$(IFS=,; echo "$*")
  rm -f "$T/wan-proxy.ready"
  ip netns exec "$WAN_NS" python3 "$UCH_TOP/tests/lib/wan-proxy.py" "$WAN_ADDR" "$ports" \
    "$target" "$ports" "$rtt" "$bits" "$T/wan-proxy.ready" 2>>"$T/wan-proxy.log" &
  WAN_PROXY_PID=$!
  cleanup_add "kill $WAN_PROXY_PID"
  wait_for 20 test -s "$T/wan-proxy.ready" ||
    die "the WAN proxy did not start: $(cat "$T/wan-proxy.log")"
}

# wan_proxy_stop: stops the proxy wan_proxy_start started last.
wan_proxy_stop() {
  [ -n "$WAN_PROXY_PID" ] || return 0
  kill "$WAN_PROXY_PID" 2>/dev/null || true
  wait "$WAN_PROXY_PID" 2>/dev/null || true
  WAN_PROXY_PID=
}

# wan_reaches NS ADDR PORT: whether a TCP connection from NS to
# ADDR:PORT opens (within 3 s).
wan_reaches() {
  # shellcheck disable=SC2016 # "$1", "$2" are the inner bash's arguments
  ip netns exec "$1" timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' sh "$2" "$3" 2>/dev/null
}
