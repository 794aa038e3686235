#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Just-in-time peers through the whole app, with real parts only, on the
# topology of tests/lib/topo.py (wireguard-go clients -> veth -> wgjit ->
# TAP -> wireguard-go gateway, reference control plane, SQLite cache).
#
# A client the gateway has never seen pings through its tunnel on the first
# try, well under the 5 s retry; /wgjit/stats shows one API request and one
# install; an unknown client is never installed; an idle peer is evicted
# while a static peer stays; SIGTERM stops the app cleanly.
#
# With UPLINK steer the same runs with uplink.mode = steer: the veth stays
# the kernel's, wgjit's XDP program sends it only the initiations.
#
# usage: jit_e2e.sh WGJIT_BINARY TEL_PY WGJIT_CP_PY [initiate|reinject|none]
#                   [bump|steer]
set -eu

WGJIT=$1
TEL=$2
CP=$3
MODE=${4:-initiate}
UPLINK=${5:-bump}
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgje
if [ "$UPLINK" = steer ]; then
	topo_up --kernel --cp-py "$CP"
	STEER=--steer
else
	topo_up --cp-py "$CP"
	STEER=
fi
topo app-start --wgjit "$WGJIT" $STEER bringup.mode="$MODE" \
	evict.idle_timeout=3 evict.grace=8 evict.interval=1
# Clients: A is known to the control plane, B is not.
client A 0
client B 1
topo cp-add --client A

# 1. A never-seen client: first tunnel ping, timed.
cl ip link set "$IF_A" up
T0=$(date +%s%N)
if [ "$MODE" = none ]; then W=9; else W=4; fi
cl ping -c 1 -W "$W" -I "$IF_A" "$TUN_GW" >/dev/null || fail "A: no tunnel"
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
echo "mode $MODE ($UPLINK): first tunnel ping of a never-seen client in $MS ms"
if [ "$MODE" != none ]; then
	[ "$MS" -lt 3000 ] || fail "A took $MS ms: it waited for the client's retry"
fi
# A keeps talking until step 3: an active peer is never evicted.
ip netns exec "$CL" ping -q -i 0.3 -I "$IF_A" "$TUN_GW" >/dev/null 2>&1 &
A_PING=$!
PIDS+=($A_PING)
wait_for 20 stat_is installs 1 || fail "installs != 1"
stat_is api_requests 1 || fail "api_requests != 1"
[ "$(stat_of identified)" -ge 1 ] || fail "nothing identified"
if [ "$MODE" = reinject ]; then
	[ "$(stat_of reinjected)" -ge 1 ] || fail "held initiation not re-injected"
else
	stat_is reinjected 0 || fail "re-injected in mode $MODE"
fi
gw wg show "$WGG" latest-handshakes | grep -q "$PUB_A" ||
	fail "A is not in the gateway device"
# initiate sets a keepalive to make the device initiate; once the
# handshake is done the control plane's value (none) is put back.
ka_off() { gw wg show "$WGG" persistent-keepalive | grep "$PUB_A" | grep -q off; }
wait_for 30 ka_off || fail "A's keepalive not restored: $(gw wg show "$WGG" persistent-keepalive)"

# Telemetry: the installed peer and the latency of its bring-up.
peers_has_a() {
	tel /wgjit/peers | tee -a "$TMP/peers.log" | python3 -c '
import json, sys
peers = json.load(sys.stdin)
key = sys.argv[1]
sys.exit(0 if any(p["public_key"] == key and
                  p["endpoint"].startswith(sys.argv[2] + ":") and
                  p["last_handshake_s"] >= 0 for p in peers.values()) else 1)' "$PUB_A" "$CL_ADDR"
}
wait_for 30 peers_has_a || fail "/wgjit/peers does not show A: $(cat "$TMP/peers.log")"
tel /wgjit/latency > "$TMP/lat.json"
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
tel /wgjit/peers,x >/dev/null 2>&1 && fail "/wgjit/peers,x accepted"
# Debian's own client reads the same commands.
echo /wgjit/stats | dpdk-telemetry.py -f "$P" 2>/dev/null | grep -q '"installs": 1' ||
	fail "dpdk-telemetry.py does not show /wgjit/stats"

# An installed peer's endpoint: its initiations are WireGuard's and go to
# the kernel at once; a copy is checked for its timestamp, which becomes
# A's replay floor (a capture of it can never install A elsewhere). One
# with A's key from A's ip:port, crafted here:
A_EP=$(tel /wgjit/peers | python3 -c '
import json, sys
print([p["endpoint"] for p in json.load(sys.stdin).values()][0])')
known=$(stat_of known_endpoint)
observed=$(stat_of observed)
requests=$(stat_of api_requests)
cl /usr/bin/python3 - "$GW_PUB" "${A_EP#*:}" "$(dirname "$0")/../lib" "$TMP/A.key" <<'PY'
import base64, os, sys
sys.path.insert(0, sys.argv[3])
import wginit
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from scapy.all import IP, UDP, send
a = X25519PrivateKey.from_private_bytes(base64.b64decode(open(sys.argv[4]).read()))
msg = wginit.initiation(a, wginit.b64key(sys.argv[1]))
send(IP(src=os.environ["CL_ADDR"], dst=os.environ["GW_ADDR"]) /
     UDP(sport=int(sys.argv[2]), dport=int(os.environ["GW_PORT"])) / msg, verbose=False)
PY
wait_for 20 stat_is known_endpoint $((known + 1)) || fail "known endpoint not seen"
wait_for 20 stat_is observed $((observed + 1)) || fail "A's floor not kept"
stat_is api_requests "$requests" || fail "a known endpoint's initiation was fetched"

# 2. Unknown client: asked once, never installed.
cl ip link set "$IF_B" up
cl ping -c 1 -W 1 -I "$IF_B" "$TUN_GW" >/dev/null 2>&1 || true
wait_for 30 stat_is api_requests $((requests + 1)) || fail "B was not looked up"
sleep 0.5
gw wg show "$WGG" peers | grep -q "$PUB_B" && fail "B installed"
stat_is installs 1 || fail "installs changed for B"

# 3. A goes idle: evicted; the static peer stays.
stat_is evictions 0 || fail "A was evicted while active"
kill "$A_PING"
cl ip link set "$IF_A" down
cl ip link set "$IF_B" down
wait_for 150 stat_is evictions 1 || fail "A not evicted"
gw wg show "$WGG" peers | grep -q "$PUB_A" && fail "A still installed"
gw wg show "$WGG" peers | grep -q "$STATIC" || fail "static peer touched"
stat_is peers_installed 0 || fail "peers_installed != 0"

# 4. SIGTERM: clean stop, TAP gone.
rc=$(topo app-stop --timeout 5) || fail "wgjit did not stop on SIGTERM"
[ "$rc" = 0 ] || fail "wgjit exit status $rc"
gw ip link show "$TAP" >/dev/null 2>&1 && fail "TAP left behind"
echo "jit_e2e ($MODE): ok"
