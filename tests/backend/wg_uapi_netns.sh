#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The UAPI backend against real wireguard-go in network namespaces
# (tests/lib/topo.py: the gateway device without a static peer, the gateway
# kernel on the wire, no wgjit):
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
. "$(dirname "$(readlink -f "$0")")/../lib/topo.sh"
topo_init wgjb
topo_up --kernel --no-static --no-cp

# handshake NS IFNAME PUBKEY: the peer's latest handshake (0 = none).
handshake() {
	ip netns exec "$1" wg show "$2" latest-handshakes |
		awk -v k="$3" '$1 == k { print $2 }'
}

# 1. The live test, then our dump against wg's.
"$LIVE" --kind uapi --ifname "$WGG" --keep || fail "test_wg_live"
"$LIVE" --kind uapi --ifname "$WGG" --dump > "$TMP/ours"
gw wg show "$WGG" dump > "$TMP/theirs"
[ "$(head -1 "$TMP/ours")" = "$(head -1 "$TMP/theirs")" ] ||
	fail "interface line: $(head -1 "$TMP/ours" | cut -f2-) vs $(head -1 "$TMP/theirs" | cut -f2-)"
[ "$(head -1 "$TMP/theirs" | cut -f2,3)" = "$GW_PUB	$GW_PORT" ] ||
	fail "wg reports another key or port"
# Handshake time and byte counters move on their own; compare the rest.
cols() { tail -n +2 "$1" | cut -f1-4,8 | sort; }
[ "$(cols "$TMP/ours")" = "$(cols "$TMP/theirs")" ] ||
	{ diff <(cols "$TMP/ours") <(cols "$TMP/theirs"); fail "peer dump differs"; }
[ "$(tail -n +2 "$TMP/theirs" | wc -l)" = 3 ] || fail "want 3 kept peers"
grep -qP '\t192\.0\.2\.1:51820\t10\.201\.0\.0/24,10\.201\.1\.1/32,fd00:201::/64\t.*\t25$' \
	<(tail -n +2 "$TMP/theirs" | awk -F'\t' '$2 != "(none)"') ||
	fail "peer A (PSK, v4 endpoint, keepalive) not as installed"
grep -qP '\t\(none\)\t\[2001:db8::2\]:4242\t10\.202\.0\.0/16,fd00:202::1/128\t.*\toff$' \
	"$TMP/theirs" || fail "peer B (v6 endpoint) not as installed"
echo "ok   test_wg_live --kind uapi; dump matches wg show"

# 2. Gateway-initiated bring-up.
client c 0
cl ip link set "$IF_c" up
# The one client: the gateway's tunnel address is behind it (its replies).
cl ip route add "$TUN_GW" dev "$IF_c"
# The client initiates; the gateway does not know it yet and drops it.
ip netns exec "$CL" ping -c1 -W1 -I "$IF_c" "$TUN_GW" >/dev/null 2>&1 &
ping_pid=$!
sent() { [ "$(cl wg show "$IF_c" transfer | cut -f3)" -gt 0 ]; }
wait_for 20 sent || fail "client sent no initiation"
[ "$(handshake "$GW" "$WGG" "$PUB_c")" = "" ] || fail "client known early"
t0=$(date +%s%3N)
"$LIVE" --kind uapi --ifname "$WGG" --add-peer "$PUB_c" \
	--endpoint "$CL_ADDR:$PORT_c" --keepalive 25 --allowed-ip "$ADDR_c/32" ||
	fail "install client"
handshaken() { local hs; hs=$(handshake "$GW" "$WGG" "$PUB_c"); [ -n "$hs" ] && [ "$hs" != 0 ]; }
wait_for 10 handshaken || fail "no handshake within 1 s of the install"
t1=$(date +%s%3N)
echo "ok   gateway-initiated handshake $((t1 - t0)) ms after install"
gw ping -c1 -W2 "$ADDR_c" >/dev/null || fail "tunnel ping"
[ "$(handshake "$CL" "$IF_c" "$GW_PUB")" != 0 ] || fail "client saw no handshake"
echo "ok   tunnel up"
wait "$ping_pid" || true
