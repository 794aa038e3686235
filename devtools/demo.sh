#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The README's demo, on a fresh Debian 12 machine (root): installs what is
# missing, builds, then runs the whole gateway in network namespaces with
# its embedded defaults: a wireguard-go client -> veth -> wgjit (DPDK,
# af_packet uplink) -> TAP -> wireguard-go gateway, with the reference
# control plane (SQLite-backed) on loopback. It shows a client the gateway
# has never seen connecting just in time, the telemetry, eviction when the
# client goes idle, and the client coming back. Everything is removed at
# the end.
set -eu
cd "$(dirname "$0")/.."
devtools/setup.sh
devtools/build.sh build >/dev/null

WGJIT=$PWD/build/app/wgjit/wgjit
TEL=$PWD/tests/app/wgjit_tel.py
CP=$PWD/devtools/wgjit-cp.py
MODE=${MODE:-initiate}
PFX=wgjm
EVICT_IDLE=4
EVICT_GRACE=8
EVICT_INTERVAL=1
. tests/lib/gateway-topo.sh

say() { printf '\n== %s\n' "$*"; }
show_stats() {
	python3 "$TEL" "$P" /wgjit/stats --flat | grep -E \
		'^(rx|to_kernel|from_kernel|tx|initiations|identified|api_requests|cache_hits|installs|evictions|peers_installed)=' |
		tr '\n' ' '
	echo
}
device_peers() { gw wg show "$WGG" peers | wc -l; }

say "starting: wgjit on an af_packet uplink, TAP $TAP, wireguard-go gateway $WGG (bring-up: $MODE)"
topo_up
client ci1 10.99.0.2/32
cp_add ci1 10.99.0.2/32
echo "gateway device peers: $(device_peers) (one static peer, set by hand)"
echo "control plane knows ci1 = $(cat "$TMP/ci1.pub"); the gateway does not"

say "ci1 pings 10.99.0.1 through its tunnel for the first time"
cl ip link set "${P}ci1" up
T0=$(date +%s%N)
cl ping -c 1 -W 4 -I "${P}ci1" 10.99.0.1 | sed -n '/bytes from/p'
echo "first reply after $(( ($(date +%s%N) - T0) / 1000000 )) ms (without wgjit: the client's 5 s retry)"
cl ping -c 2 -i 0.2 -W 2 -I "${P}ci1" 10.99.0.1 | sed -n '/bytes from/p'
echo "gateway device peers: $(device_peers)"

say "telemetry (dpdk-telemetry socket): /wgjit/stats"
show_stats
say "/wgjit/latency: first initiation -> installed -> handshake"
wait_for 30 sh -c "python3 '$TEL' '$P' /wgjit/latency | grep -q '\"handshake_p50_us\": [1-9]'" || true
python3 "$TEL" "$P" /wgjit/latency | python3 -c '
import json, sys
l = json.load(sys.stdin)
print("installed within %d us, handshake complete within %d us (log2 buckets)" %
      (l["install_p50_us"], l["handshake_p50_us"]))'
say "/wgjit/peers"
wait_for 30 sh -c "python3 '$TEL' '$P' /wgjit/peers | grep -q endpoint" || true
python3 "$TEL" "$P" /wgjit/peers

say "ci1 goes idle: evicted after ${EVICT_IDLE} s without a handshake"
wait_for 200 stat_is evictions 1 || fail "no eviction"
echo "gateway device peers: $(device_peers) (the static peer is never touched)"
show_stats

say "ci1 comes back (a new session): installed again from the cache, no API request"
cl wg set "${P}ci1" peer "$GW_PUB" remove
cl wg set "${P}ci1" peer "$GW_PUB" endpoint 10.77.0.1:51820 allowed-ips 10.99.0.1/32
T0=$(date +%s%N)
cl ping -c 1 -W 4 -I "${P}ci1" 10.99.0.1 >/dev/null || fail "ci1 did not come back"
echo "reconnected in $(( ($(date +%s%N) - T0) / 1000000 )) ms"
show_stats

say "stopping (SIGTERM); namespaces and processes are removed"
