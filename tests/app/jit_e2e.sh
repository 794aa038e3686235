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
PFX=wgje
. "$(dirname "$0")/../lib/gateway-topo.sh"

topo_up
# Clients: A is known to the control plane, B is not.
client A 10.99.0.2/32
client B 10.99.0.3/32
cp_add A 10.99.0.2/32

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
# A keeps talking until step 3: an active peer is never evicted.
cl ping -q -i 0.3 -I "${P}A" 10.99.0.1 >/dev/null 2>&1 &
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
gw wg show "$WGG" latest-handshakes | grep -q "$(cat "$TMP/A.pub")" ||
	fail "A is not in the gateway device"
# initiate sets a keepalive to make the device initiate; once the
# handshake is done the control plane's value (none) is put back.
ka_off() { gw wg show "$WGG" persistent-keepalive | grep "$(cat "$TMP/A.pub")" | grep -q off; }
wait_for 30 ka_off || fail "A's keepalive not restored: $(gw wg show "$WGG" persistent-keepalive)"

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
# Debian's own client reads the same commands.
echo /wgjit/stats | dpdk-telemetry.py -f "$P" 2>/dev/null | grep -q '"installs": 1' ||
	fail "dpdk-telemetry.py does not show /wgjit/stats"

# An installed peer's endpoint skips the DH: an initiation from A's
# ip:port (crafted here, valid mac1) is forwarded but not checked.
A_EP=$(python3 "$TEL" "$P" /wgjit/peers | python3 -c '
import json, sys
print([p["endpoint"] for p in json.load(sys.stdin).values()][0])')
skipped=$(stat_of skipped_known)
identified=$(stat_of identified)
cl /usr/bin/python3 - "$GW_PUB" "${A_EP#*:}" "$(dirname "$0")/../lib" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import wginit
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from scapy.all import IP, UDP, send
msg = wginit.initiation(X25519PrivateKey.generate(), wginit.b64key(sys.argv[1]))
send(IP(src="10.77.0.2", dst="10.77.0.1") / UDP(sport=int(sys.argv[2]), dport=51820) / msg,
     verbose=False)
PY
wait_for 20 stat_is skipped_known $((skipped + 1)) || fail "known endpoint not skipped"
stat_is identified "$identified" || fail "a known endpoint's initiation was checked"

# 2. Unknown client: asked once, never installed.
cl ip link set "${P}B" up
cl ping -c 1 -W 1 -I "${P}B" 10.99.0.1 >/dev/null 2>&1 || true
wait_for 30 stat_is api_requests 2 || fail "B was not looked up"
sleep 0.5
gw wg show "$WGG" peers | grep -q "$(cat "$TMP/B.pub")" && fail "B installed"
stat_is installs 1 || fail "installs changed for B"

# 3. A goes idle: evicted; the static peer stays.
stat_is evictions 0 || fail "A was evicted while active"
kill "$A_PING"
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
