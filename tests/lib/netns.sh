# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced by tests/lib/functions.sh and by the benches that make a link.

# netns_link NS VETH NET: a network namespace NS joined to this one by
# a veth pair: VETH here with NET.1/30, VETH"p" in NS with NET.2/30, and
# NS's loopback up. Fails (status 1) if the namespace or the pair cannot
# be made. The caller removes NS, which takes the pair with it.
netns_link() {
  local ns=$1 veth=$2 net=$3
  ip netns add "$ns" 2>/dev/null || return 1
  ip link add "$veth" type veth peer name "${veth}p" || return 1
  ip link set "${veth}p" netns "$ns"
  ip addr add "$net.1/30" dev "$veth"
  ip link set "$veth" up
  ip netns exec "$ns" ip addr add "$net.2/30" dev "${veth}p"
  ip netns exec "$ns" ip link set "${veth}p" up
  ip netns exec "$ns" ip link set lo up
}
