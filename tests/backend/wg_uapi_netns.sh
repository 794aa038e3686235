#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The UAPI backend against real wireguard-go in network namespaces:
# 1. test_wg_live --kind uapi on the gateway device, then the peers it
#    leaves are compared with `wg show IF dump`;
# 2. gateway-initiated bring-up: a client whose initiation was dropped
#    (the gateway did not know it) gets a handshake within 1 s of the
#    gateway installing it with endpoint + keepalive in one set, instead
#    of after its own 5 s retry.
#
# usage: wg_uapi_netns.sh PATH/TO/test_wg_live

set -eu
LIVE=$1
. "$(dirname "$(readlink -f "$0")")/../lib/wgnetns.sh"
wgns_init wgjb
umask 077
tmp=$(mktemp -d)
trap 'wgns_cleanup; rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

wgns_ns gw; gw=$WGNS_LAST
wgns_ns cl; cl=$WGNS_LAST
wgns_ifname g; gif=$WGNS_LAST
wgns_ifname c; cif=$WGNS_LAST
wgns_veth "$gw" "${gif}v" 10.77.0.1/24 "$cl" "${cif}v" 10.77.0.2/24
wg genkey > "$tmp/gw.key"
wg genkey > "$tmp/cl.key"
gwpub=$(wg pubkey < "$tmp/gw.key")
clpub=$(wg pubkey < "$tmp/cl.key")

wgns_wg_start "$gw" "$gif"
wgns_wg_conf "$gw" "$gif" "$tmp/gw.key" 51820 10.99.0.1/24

# 1. The live test, then our dump against wg's.
"$LIVE" --kind uapi --ifname "$gif" --keep || fail "test_wg_live"
"$LIVE" --kind uapi --ifname "$gif" --dump > "$tmp/ours"
ip netns exec "$gw" wg show "$gif" dump > "$tmp/theirs"
[ "$(head -1 "$tmp/ours")" = "$(head -1 "$tmp/theirs")" ] ||
	fail "interface line: $(head -1 "$tmp/ours" | cut -f2-) vs $(head -1 "$tmp/theirs" | cut -f2-)"
[ "$(head -1 "$tmp/theirs" | cut -f2,3)" = "$gwpub	51820" ] ||
	fail "wg reports another key or port"
# Handshake time and byte counters move on their own; compare the rest.
cols() { tail -n +2 "$1" | cut -f1-4,8 | sort; }
[ "$(cols "$tmp/ours")" = "$(cols "$tmp/theirs")" ] ||
	{ diff <(cols "$tmp/ours") <(cols "$tmp/theirs"); fail "peer dump differs"; }
[ "$(tail -n +2 "$tmp/theirs" | wc -l)" = 3 ] || fail "want 3 kept peers"
grep -qP '\t192\.0\.2\.1:51820\t10\.201\.0\.0/24,10\.201\.1\.1/32,fd00:201::/64\t.*\t25$' \
	<(tail -n +2 "$tmp/theirs" | awk -F'\t' '$2 != "(none)"') ||
	fail "peer A (PSK, v4 endpoint, keepalive) not as installed"
grep -qP '\t\(none\)\t\[2001:db8::2\]:4242\t10\.202\.0\.0/16,fd00:202::1/128\t.*\toff$' \
	"$tmp/theirs" || fail "peer B (v6 endpoint) not as installed"
echo "ok   test_wg_live --kind uapi; dump matches wg show"

# 2. Gateway-initiated bring-up.
wgns_wg_start "$cl" "$cif"
wgns_wg_conf "$cl" "$cif" "$tmp/cl.key" 51821 10.99.0.2/24
ip netns exec "$cl" wg set "$cif" peer "$gwpub" endpoint 10.77.0.1:51820 \
	allowed-ips 10.99.0.1/32
# The client initiates; the gateway does not know it yet and drops it.
ip netns exec "$cl" ping -c1 -W1 10.99.0.1 >/dev/null 2>&1 &
ping_pid=$!
for ((i = 0; i < 200; i++)); do
	tx=$(ip netns exec "$cl" wg show "$cif" transfer | cut -f3)
	[ "${tx:-0}" -gt 0 ] && break
	sleep 0.01
done
[ "${tx:-0}" -gt 0 ] || fail "client sent no initiation"
[ "$(wgns_handshake "$gw" "$gif" "$clpub")" = "" ] || fail "client known early"
t0=$(date +%s%3N)
"$LIVE" --kind uapi --ifname "$gif" --add-peer "$clpub" \
	--endpoint 10.77.0.2:51821 --keepalive 25 --allowed-ip 10.99.0.2/32 ||
	fail "install client"
wgns_wait_handshake "$gw" "$gif" "$clpub" 1000 >/dev/null ||
	fail "no handshake within 1 s of the install"
t1=$(date +%s%3N)
echo "ok   gateway-initiated handshake $((t1 - t0)) ms after install"
ip netns exec "$gw" ping -c1 -W2 10.99.0.2 >/dev/null || fail "tunnel ping"
[ "$(wgns_handshake "$cl" "$cif" "$gwpub")" != 0 ] || fail "client saw no handshake"
echo "ok   tunnel up"
wait "$ping_pid" || true
