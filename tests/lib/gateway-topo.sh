#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The gateway topology, sourced by tests and the demo (real parts only):
#
#   netns $CL: wireguard-go clients, veth $VC 10.77.0.2
#   netns $GW: $VG (af_packet uplink of wgjit) -> wgjit -> TAP 10.77.0.1 ->
#              wireguard-go gateway $WGG 10.99.0.1 (UAPI backend), the
#              reference control plane on 127.0.0.1, a SQLite cache.
#
# Set before sourcing: WGJIT (binary), TEL (wgjit_tel.py), CP
# (wgjit-cp.py), MODE (bring-up), PFX (name prefix, <= 5 chars); optional
# EVICT_IDLE, EVICT_GRACE, EVICT_INTERVAL (seconds). Then call topo_up;
# client NAME ADDR adds a wireguard-go client; cleanup runs on exit.

P=${PFX}$$
. "$(dirname "${BASH_SOURCE[0]}")/netns-wire.sh"
GW=${P}g
CL=${P}c
VG=${P}u
VC=${P}v
TAP=${P}t
WGG=${P}G
TMP=$(mktemp -d /tmp/$P.XXXXXX)
PIDS=()
APP_PID=

cleanup() {
	set +e
	[ -n "$APP_PID" ] && kill -TERM "$APP_PID" 2>/dev/null && sleep 0.5
	[ -n "$APP_PID" ] && kill -KILL "$APP_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ns in "$GW" "$CL"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.2
	ip netns del "$GW" 2>/dev/null
	ip netns del "$CL" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
	rm -rf "/var/run/dpdk/$P"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$TMP/app.log" ] && tail -30 "$TMP/app.log" | sed 's/^/  app: /'
	python3 "$TEL" "$P" /wgjit/stats --flat 2>/dev/null | sed 's/^/  stats: /'
	exit 1
}
gw() { ip netns exec "$GW" "$@"; }
cl() { ip netns exec "$CL" "$@"; }
stat_of() { python3 "$TEL" "$P" /wgjit/stats --flat | sed -n "s/^$1=//p"; }
stat_is() { [ "$(stat_of "$1")" = "$2" ]; }

umask 077
start_wg() { # NS IFNAME
	ip netns exec "$1" wireguard-go -f "$2" >"$TMP/$2.log" 2>&1 &
	PIDS+=($!)
	wait_for 50 test -S "/var/run/wireguard/$2.sock" || fail "wireguard-go $2"
}

# client NAME ADDR: a wireguard-go client of the gateway (link down).
client() { # NAME TUNNEL_ADDR
	local ifn=${P}$1
	wg genkey > "$TMP/$1.key"
	wg pubkey < "$TMP/$1.key" > "$TMP/$1.pub"
	start_wg "$CL" "$ifn"
	cl wg set "$ifn" private-key "$TMP/$1.key" peer "$GW_PUB" \
		endpoint 10.77.0.1:51820 allowed-ips 10.99.0.1/32
	cl ip addr add "$2" dev "$ifn"
}
# cp_add NAME ADDR: tell the control plane about client NAME.
cp_add() {
	python3 "$CP" add --db "$TMP/cp.db" --public-key "$(cat "$TMP/$1.pub")" \
		--allowed-ips "$2" >/dev/null
}

topo_up() {
	wire_up

	# The gateway's WireGuard: configured once by the operator, with wg.
	wg genkey > "$TMP/gw.key"
	GW_PUB=$(wg pubkey < "$TMP/gw.key")
	start_wg "$GW" "$WGG"
	gw wg set "$WGG" private-key "$TMP/gw.key" listen-port 51820
	gw ip addr add 10.99.0.1/24 dev "$WGG"
	gw ip link set "$WGG" up
	STATIC=$(wg genkey | wg pubkey)
	gw wg set "$WGG" peer "$STATIC" allowed-ips 10.97.0.9/32

	gw python3 "$CP" serve --db "$TMP/cp.db" --listen 127.0.0.1:0 \
		--port-file "$TMP/cp.port" 2>"$TMP/cp.log" &
	PIDS+=($!)
	wait_for 50 test -s "$TMP/cp.port" || fail "control plane did not start"

	cat > "$TMP/wgjit.conf" <<-CONF
	[wireguard]
	interface = $WGG
	backend = uapi
	[tap]
	name = $TAP
	[control_plane]
	url = http://127.0.0.1:$(cat "$TMP/cp.port")
	[cache]
	path = $TMP/cache.sqlite
	[bringup]
	mode = $MODE
	[evict]
	idle_timeout = ${EVICT_IDLE:-3}
	grace = ${EVICT_GRACE:-8}
	interval = ${EVICT_INTERVAL:-1}
	CONF
	ip netns exec "$GW" "$WGJIT" -l 0,1 --no-pci --no-huge -m 512 --file-prefix "$P" \
		--log-level=user1,info --vdev "net_af_packet0,iface=$VG" \
		-- --config "$TMP/wgjit.conf" > "$TMP/app.log" 2>&1 &
	APP_PID=$!
	wait_for 100 gw ip link show "$TAP" || fail "TAP $TAP did not appear"
	wait_for 100 python3 "$TEL" "$P" /wgjit/stats || fail "no telemetry socket"
	gw ip addr add 10.77.0.1/24 dev "$TAP"
	gw ip link set "$TAP" up
	# Plain traffic first: ARP and ping to the gateway through the app.
	cl ping -c 1 -W 2 10.77.0.1 >/dev/null || fail "underlay ping"
}
