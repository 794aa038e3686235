#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Just-in-time peers through the whole app, with real parts only:
#
#   netns CL: wireguard-go clients, veth VC 10.77.0.2
#   netns GW: VG (af_packet uplink of wgjit) -> wgjit -> TAP 10.77.0.1 ->
#             wireguard-go gateway (UAPI backend), reference control plane
#             on 127.0.0.1, SQLite cache file.
#
# A client the gateway has never seen pings through its tunnel on the first
# try, well under the 5 s retry; /wgjit/stats shows one API request and one
# install; an unknown client is never installed; an idle peer is evicted
# while a static peer stays; SIGTERM stops the app cleanly.
#
# usage: jit_e2e.sh WGJIT_BINARY TEL_PY WGJIT_CP_PY [initiate|reinject|none]
set -eu

WGJIT=$1
TEL=$2
CP=$3
MODE=${4:-initiate}
P=wgje$$
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
wait_for() {
	local tenths=$1
	shift
	for _ in $(seq "$tenths"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
stat_of() { python3 "$TEL" "$P" /wgjit/stats --flat | sed -n "s/^$1=//p"; }
stat_is() { [ "$(stat_of "$1")" = "$2" ]; }

ip netns add "$GW"
ip netns add "$CL"
for ns in "$GW" "$CL"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip link add "$VG" netns "$GW" type veth peer name "$VC" netns "$CL"
ip -n "$GW" link set "$VG" up
ip -n "$CL" addr add 10.77.0.2/24 dev "$VC"
ip -n "$CL" link set "$VC" up
cl ethtool -K "$VC" tx off >/dev/null
gw ethtool -K "$VG" tx off >/dev/null
gw nft -f - <<NFT
table netdev $P {
	chain in {
		type filter hook ingress device "$VG" priority 0; policy drop;
	}
}
NFT

umask 077
start_wg() { # NS IFNAME
	ip netns exec "$1" wireguard-go -f "$2" >"$TMP/$2.log" 2>&1 &
	PIDS+=($!)
	wait_for 50 test -S "/var/run/wireguard/$2.sock" || fail "wireguard-go $2"
}

# The gateway's WireGuard: configured once by the operator, with wg.
wg genkey > "$TMP/gw.key"
GW_PUB=$(wg pubkey < "$TMP/gw.key")
start_wg "$GW" "$WGG"
gw wg set "$WGG" private-key "$TMP/gw.key" listen-port 51820
gw ip addr add 10.99.0.1/24 dev "$WGG"
gw ip link set "$WGG" up
STATIC=$(wg genkey | wg pubkey)
gw wg set "$WGG" peer "$STATIC" allowed-ips 10.97.0.9/32

# Clients: A is known to the control plane, B is not.
client() { # NAME TUNNEL_ADDR
	local ifn=${P}$1
	wg genkey > "$TMP/$1.key"
	wg pubkey < "$TMP/$1.key" > "$TMP/$1.pub"
	start_wg "$CL" "$ifn"
	cl wg set "$ifn" private-key "$TMP/$1.key" peer "$GW_PUB" \
		endpoint 10.77.0.1:51820 allowed-ips 10.99.0.1/32
	cl ip addr add "$2" dev "$ifn"
}
client A 10.99.0.2/32
client B 10.99.0.3/32

python3 "$CP" add --db "$TMP/cp.db" --public-key "$(cat "$TMP/A.pub")" \
	--allowed-ips 10.99.0.2/32 >/dev/null
gw python3 "$CP" serve --db "$TMP/cp.db" --listen 127.0.0.1:0 \
	--port-file "$TMP/cp.port" 2>"$TMP/cp.log" &
PIDS+=($!)
wait_for 50 test -s "$TMP/cp.port" || fail "control plane did not start"

cat > "$TMP/wgjit.conf" <<CONF
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
idle_timeout = 3
grace = 8
interval = 1
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

# 1. A never-seen client: first tunnel ping, timed.
cl ip link set "${P}A" up
T0=$(date +%s%N)
if [ "$MODE" = none ]; then W=9; else W=4; fi
cl ping -c 1 -W "$W" -I "${P}A" 10.99.0.1 >/dev/null || fail "A: no tunnel"
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
echo "mode $MODE: first tunnel ping of a never-seen client in $MS ms"
if [ "$MODE" != none ]; then
	[ "$MS" -lt 3000 ] || fail "A took $MS ms: it waited for the client's retry"
fi
wait_for 20 stat_is installs 1 || fail "installs != 1"
stat_is api_requests 1 || fail "api_requests != 1"
[ "$(stat_of identified)" -ge 1 ] || fail "nothing identified"
if [ "$MODE" = reinject ]; then
	[ "$(stat_of reinjected)" -ge 1 ] || fail "held initiation not re-injected"
else
	stat_is reinjected 0 || fail "re-injected in mode $MODE"
fi
gw wg show "$WGG" latest-handshakes | grep -q "$(cat "$TMP/A.pub")" ||
	fail "A is not in the gateway device"

# Telemetry: the installed peer and the latency of its bring-up.
peers_has_a() {
	python3 "$TEL" "$P" /wgjit/peers | tee -a "$TMP/peers.log" | python3 -c '
import json, sys
peers = json.load(sys.stdin)
key = sys.argv[1]
sys.exit(0 if any(p["public_key"] == key and
                  p["endpoint"].startswith("10.77.0.2:") and
                  p["last_handshake_s"] >= 0 for p in peers.values()) else 1)' "$(cat "$TMP/A.pub")"
}
wait_for 30 peers_has_a || fail "/wgjit/peers does not show A: $(cat "$TMP/peers.log")"
python3 "$TEL" "$P" /wgjit/latency > "$TMP/lat.json"
python3 - "$TMP/lat.json" "$MODE" <<'PY' || fail "/wgjit/latency: $(cat "$TMP/lat.json")"
import json, sys
lat = json.load(open(sys.argv[1]))
assert sum(lat["install_us_log2"]) == 1, lat
assert sum(lat["handshake_us_log2"]) == 1, lat
assert 0 < lat["install_p50_us"] <= lat["handshake_p50_us"], lat
if sys.argv[2] != "none":
    assert lat["handshake_p99_us"] <= 2 ** 22, lat    # under ~4 s
print("latency: install <= %d us, handshake <= %d us" %
      (lat["install_p50_us"], lat["handshake_p50_us"]))
PY
python3 "$TEL" "$P" /wgjit/peers,x >/dev/null 2>&1 && fail "/wgjit/peers,x accepted"

# 2. Unknown client: asked once, never installed.
cl ip link set "${P}B" up
cl ping -c 1 -W 1 -I "${P}B" 10.99.0.1 >/dev/null 2>&1 || true
wait_for 30 stat_is api_requests 2 || fail "B was not looked up"
sleep 0.5
gw wg show "$WGG" peers | grep -q "$(cat "$TMP/B.pub")" && fail "B installed"
stat_is installs 1 || fail "installs changed for B"

# 3. A goes idle: evicted; the static peer stays.
cl ip link set "${P}A" down
cl ip link set "${P}B" down
wait_for 150 stat_is evictions 1 || fail "A not evicted"
gw wg show "$WGG" peers | grep -q "$(cat "$TMP/A.pub")" && fail "A still installed"
gw wg show "$WGG" peers | grep -q "$STATIC" || fail "static peer touched"
stat_is peers_installed 0 || fail "peers_installed != 0"

# 4. SIGTERM: clean stop, TAP gone.
kill -TERM "$APP_PID"
for _ in $(seq 50); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APP_PID" 2>/dev/null && fail "wgjit did not stop on SIGTERM"
wait "$APP_PID" || fail "wgjit exit status $?"
APP_PID=
gw ip link show "$TAP" >/dev/null 2>&1 && fail "TAP left behind"
echo "jit_e2e ($MODE): ok"
