#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The wire every gateway test stands on, sourced: netns $CL with veth $VC
# (10.77.0.2/24) and netns $GW with $VG, the uplink wgjit takes with
# net_af_packet. The GW kernel must not answer on $VG (testbed.md: it
# would answer ARP beside wgjit), so an nftables netdev ingress chain drops
# everything there; af_packet still sees the frames. TX checksum offload is
# off on both ends, or UDP arrives with partial checksums.
#
# Needs P, GW, CL, VG, VC set. The caller deletes the namespaces.

# wait_for TENTHS CMD...: poll CMD until it succeeds or TENTHS tenths of a
# second pass.
wait_for() {
	local tenths=$1
	shift
	for _ in $(seq "$tenths"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

wire_up() {
	ip netns add "$GW"
	ip netns add "$CL"
	for ns in "$GW" "$CL"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip link add "$VG" netns "$GW" type veth peer name "$VC" netns "$CL"
	ip -n "$GW" link set "$VG" up
	ip -n "$CL" addr add 10.77.0.2/24 dev "$VC"
	ip -n "$CL" link set "$VC" up
	ip netns exec "$CL" ethtool -K "$VC" tx off >/dev/null
	ip netns exec "$GW" ethtool -K "$VG" tx off >/dev/null
	ip netns exec "$GW" nft -f - <<-NFT
	table netdev $P {
		chain in {
			type filter hook ingress device "$VG" priority 0; policy drop;
		}
	}
	NFT
}
