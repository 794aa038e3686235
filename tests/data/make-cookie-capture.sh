#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# How tests/data/wireguard-go-cookie.pcap was made (run once; the capture
# and its key are committed, so that the cookie code is checked against an
# implementation nobody here wrote): a wireguard-go gateway is put under
# load by a flood of mac1-valid initiations from spoofed sources; a
# wireguard-go client then connects. The gateway answers the client's
# first initiation with a cookie reply, and the client's next initiation
# carries a mac2 made with that cookie. The capture holds the client's
# traffic only (its UDP port).
#
# usage: tests/data/make-cookie-capture.sh OUT_DIR
#   writes OUT_DIR/wireguard-go-cookie.pcap and OUT_DIR/cookie-gateway.key
set -euo pipefail
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tag=wgjm$$
gw=$tag-gw
cl=$tag-cl
work=$(mktemp -d)
umask 077
cleanup() {
	for ns in "$gw" "$cl"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	done
	sleep 0.3
	ip netns del "$gw" 2>/dev/null || true
	ip netns del "$cl" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$gw"
ip netns add "$cl"
ip link add "${tag}g" netns "$gw" type veth peer name "${tag}c" netns "$cl"
ip -n "$gw" addr add 10.55.0.1/24 dev "${tag}g"
ip -n "$cl" addr add 10.55.0.2/24 dev "${tag}c"
for ns in "$gw" "$cl"; do ip -n "$ns" link set lo up; done
ip -n "$gw" link set "${tag}g" up
ip -n "$cl" link set "${tag}c" up
ip netns exec "$cl" ethtool -K "${tag}c" tx off >/dev/null
ip netns exec "$gw" ethtool -K "${tag}g" tx off >/dev/null
# Replies to the spoofed sources need a route, or wireguard-go stalls on
# them.
ip -n "$gw" route add default via 10.55.0.2

wg genkey > "$work/gw.key"
wg genkey > "$work/cl.key"
gwpub=$(wg pubkey < "$work/gw.key")
ip netns exec "$gw" wireguard-go -f "${tag}G" >/dev/null 2>&1 &
ip netns exec "$cl" wireguard-go -f "${tag}C" >/dev/null 2>&1 &
for _ in $(seq 100); do
	[ -S "/var/run/wireguard/${tag}G.sock" ] &&
		[ -S "/var/run/wireguard/${tag}C.sock" ] && break
	sleep 0.05
done
ip netns exec "$gw" wg set "${tag}G" private-key "$work/gw.key" \
	listen-port 51820 peer "$(wg pubkey < "$work/cl.key")" \
	allowed-ips 10.56.0.2/32
ip -n "$gw" addr add 10.56.0.1/24 dev "${tag}G"
ip -n "$gw" link set "${tag}G" up
ip netns exec "$cl" wg set "${tag}C" private-key "$work/cl.key" \
	listen-port 62999 peer "$gwpub" endpoint 10.55.0.1:51820 \
	allowed-ips 10.56.0.1/32
ip -n "$cl" addr add 10.56.0.2/24 dev "${tag}C"

gwmac=$(ip -n "$gw" -o link show "${tag}g" | sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p')
clmac=$(ip -n "$cl" -o link show "${tag}c" | sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p')
/usr/bin/python3 "$here/../lib/wginit.py" flood --responder-pub "$gwpub" \
	--out "$work/flood.pcap" --count 50000 --src-net 10.210.0.0/16 \
	--dst 10.55.0.1:51820 --src-mac "$clmac" --dst-mac "$gwmac"

ip netns exec "$cl" tcpdump -i "${tag}c" -U -w "$work/cap.pcap" \
	udp port 62999 2>/dev/null &
sleep 0.5
ip netns exec "$cl" tcpreplay -q -i "${tag}c" --pps "${PPS:-100000}" --loop 0 \
	"$work/flood.pcap" >/dev/null 2>&1 &
flood=$!
sleep 1
ip -n "$cl" link set "${tag}C" up
ip netns exec "$cl" ping -c 14 -i 1 -W 1 10.56.0.1 >/dev/null 2>&1 || true
kill "$flood"
sleep 0.5
ip netns pids "$cl" | xargs -r kill -INT 2>/dev/null || true
sleep 0.5
cp "$work/cap.pcap" "$out/wireguard-go-cookie.pcap"
cp "$work/gw.key" "$out/cookie-gateway.key"
tcpdump -nn -r "$out/wireguard-go-cookie.pcap" 2>/dev/null | head -20
