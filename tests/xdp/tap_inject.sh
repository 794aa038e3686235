#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# What the kernel needs to accept an initiation that wgjit reinjects
# through a TAP in steer mode, where the gateway address lives on the
# uplink (kernel-owned) and not on the TAP. One namespace: an uplink
# (dummy) holding 10.92.0.1/24 and fd92::1/64 with default routes, a TAP
# from `ip tuntap` with no address, and a UDP socket on port 51820. The
# client (198.51.100.7, 2001:db8:7::7) is reached by the default route,
# i.e. through the uplink, so the TAP is not the reverse path.
#
# Each case writes 3 initiations into the TAP and checks how many the
# socket got (and IPReversePathFilter). Findings asserted here:
#   IPv4: the effective rp_filter is max(all, TAP). 0 accepts. 1
#         (strict) drops: the reverse path is the uplink. 2 (loose) drops
#         too while the TAP has no IPv4 address (fib_validate_source()
#         fails any rp_filter on an address-less device), and accepts
#         once it has one (any, e.g. 169.254.92.1/32 scope link). So:
#         rp_filter 0 on the TAP and in all, or 2 on the TAP (it wins over
#         all=1) plus an address on it. No accept_local, route_localnet
#         or forwarding is involved.
#   IPv6: accepted with no sysctl at all (IPv6 has no rp_filter), even
#         with no address on the TAP, but not with disable_ipv6=1 on it.
#   Both: the frame's destination MAC must be the TAP's (a frame still
#         addressed to the uplink's MAC is dropped as PACKET_OTHERHOST),
#         and the TAP must be up (a write to a TAP that is down fails with
#         EIO).
#
# usage: tap_inject.sh

set -eu
HERE=$(dirname "$(readlink -f "$0")")
TRAFFIC="/usr/bin/python3 $HERE/steer_traffic.py"
PORT=51820

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "SKIP: scapy"; exit 77; }

NS=wgxt-$$
UP=xt$$u
TAP=xt$$t
TMP=$(mktemp -d)
SINK_PID=
cleanup() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
in_ns() {
	ip netns exec "$NS" "$@"
}

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add "$UP" type veth peer name "${UP}p"
ip -n "$NS" link set "${UP}p" up
ip -n "$NS" addr add 10.92.0.1/24 dev "$UP"
ip -n "$NS" addr add fd92::1/64 dev "$UP" nodad
ip -n "$NS" link set "$UP" up
ip -n "$NS" route add default via 10.92.0.254 dev "$UP" onlink
ip -n "$NS" -6 route add default via fd92::fe dev "$UP" onlink
ip -n "$NS" tuntap add dev "$TAP" mode tap
in_ns sysctl -qw net.ipv6.conf."$TAP".addr_gen_mode=1
ip -n "$NS" link set "$TAP" up
TAP_MAC=$(in_ns cat "/sys/class/net/$TAP/address")
UP_MAC=$(in_ns cat "/sys/class/net/$UP/address")

rm -f "$TMP/ready"
ip netns exec "$NS" $TRAFFIC sink --ports "$PORT" --ready "$TMP/ready" \
	--out "$TMP/sink" &
SINK_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -e "$TMP/ready" ] && break
	sleep 0.1
done
[ -e "$TMP/ready" ] || fail "sink not ready"

# The sink reports at exit only; count deliveries with the kernel's own
# counter of datagrams delivered to sockets instead.
udp_in() {	# 4|6
	local key=Udp6InDatagrams
	[ "$1" = 4 ] && key=UdpInDatagrams
	in_ns nstat -az "$key" | awk -v k="$key" '$1 == k { print $2 }'
}
rpf_drops() {
	in_ns nstat -az TcpExtIPReversePathFilter |
		awk '$1 == "TcpExtIPReversePathFilter" { print $2 }'
}

# case FAMILY WANT DESCRIPTION [DST_MAC]: inject 3, expect WANT delivered.
case_() {
	local fam=$1 want=$2 what=$3 mac=${4:-$TAP_MAC} before after src dst
	if [ "$fam" = 4 ]; then src=198.51.100.7 dst=10.92.0.1
	else src=2001:db8:7::7 dst=fd92::1; fi
	before=$(udp_in "$fam")
	in_ns $TRAFFIC tap --iface "$TAP" --dst-mac "$mac" --src "$src" \
		--dst "$dst" --port "$PORT" --count 3
	sleep 0.2
	after=$(udp_in "$fam")
	[ $((after - before)) = "$want" ] ||
		fail "IPv$fam, $what: delivered $((after - before)), want $want"
	echo "ok   IPv$fam, $what: $want of 3 delivered"
}

rpf() {	# ALL TAP
	in_ns sysctl -qw net.ipv4.conf.all.rp_filter="$1" \
		net.ipv4.conf."$TAP".rp_filter="$2"
}

rpf 0 0
case_ 4 3 "rp_filter all=0 tap=0"
d0=$(rpf_drops)
rpf 0 1
case_ 4 0 "rp_filter all=0 tap=1 (strict)"
[ $(($(rpf_drops) - d0)) = 3 ] || fail "drops not counted as IPReversePathFilter"
rpf 0 2
# fib_validate_source(): a device without an IPv4 address fails any
# rp_filter, loose included ("last_resort").
case_ 4 0 "rp_filter all=0 tap=2 (loose), no address on the TAP"
rpf 1 0
case_ 4 0 "rp_filter all=1 tap=0 (max: strict)"
ip -n "$NS" addr add 169.254.92.1/32 dev "$TAP" scope link
rpf 0 2
case_ 4 3 "rp_filter all=0 tap=2 (loose), 169.254.92.1/32 on the TAP"
rpf 1 2
case_ 4 3 "rp_filter all=1 tap=2 (max: loose), address on the TAP"
rpf 2 1
case_ 4 3 "rp_filter all=2 tap=1 (max: loose), address on the TAP"
rpf 0 1
case_ 4 0 "rp_filter all=0 tap=1 (strict), address on the TAP"
rpf 0 0
case_ 4 3 "rp_filter all=0 tap=0, address on the TAP"
case_ 4 0 "frame to the uplink's MAC" "$UP_MAC"
case_ 6 3 "no sysctl, no address on the TAP"
case_ 6 0 "frame to the uplink's MAC" "$UP_MAC"
in_ns sysctl -qw net.ipv6.conf."$TAP".disable_ipv6=1
case_ 6 0 "disable_ipv6=1 on the TAP"
in_ns sysctl -qw net.ipv6.conf."$TAP".disable_ipv6=0
ip -n "$NS" link set "$TAP" down
out=$(in_ns $TRAFFIC tap --iface "$TAP" --dst-mac "$TAP_MAC" \
	--src 198.51.100.7 --dst 10.92.0.1 --port "$PORT") && rc=0 || rc=$?
[ "$rc" = 3 ] && [ "$out" = "write: Input/output error" ] ||
	fail "TAP down: write gave '$out' ($rc), want EIO"
echo "ok   TAP down: writes fail with EIO"
