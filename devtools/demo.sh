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

MODE=${MODE:-initiate}
EVICT_IDLE=4
. tests/lib/topo.sh
topo_init wgjm

say() { printf '\n== %s\n' "$*"; }
show_stats() {
	tel /wgjit/stats --flat | grep -E \
		'^(rx|to_kernel|from_kernel|tx|initiations|identified|api_requests|cache_hits|installs|evictions|peers_installed)=' |
		tr '\n' ' '
	echo
}
device_peers() { gw wg show "$WGG" peers | wc -l; }

say "starting: wgjit on an af_packet uplink, TAP $TAP, wireguard-go gateway $WGG (bring-up: $MODE)"
topo_up
topo app-start --wgjit "$PWD/build/app/wgjit/wgjit" bringup.mode="$MODE" \
	evict.idle_timeout=$EVICT_IDLE evict.grace=8 evict.interval=1
client ci1 0
topo cp-add --client ci1
echo "gateway device peers: $(device_peers) (one static peer, set by hand)"
echo "control plane knows ci1 = $PUB_ci1; the gateway does not"

say "ci1 pings $TUN_GW through its tunnel for the first time"
cl ip link set "$IF_ci1" up
T0=$(date +%s%N)
cl ping -c 1 -W 4 -I "$IF_ci1" "$TUN_GW" | sed -n '/bytes from/p'
echo "first reply after $(( ($(date +%s%N) - T0) / 1000000 )) ms (without wgjit: the client's 5 s retry)"
cl ping -c 2 -i 0.2 -W 2 -I "$IF_ci1" "$TUN_GW" | sed -n '/bytes from/p'
echo "gateway device peers: $(device_peers)"

say "telemetry (dpdk-telemetry socket): /wgjit/stats"
show_stats
say "/wgjit/latency: first initiation -> installed -> handshake"
lat_done() { tel /wgjit/latency | grep -q '"handshake_p50_us": [1-9]'; }
wait_for 30 lat_done || true
tel /wgjit/latency | python3 -c '
import json, sys
l = json.load(sys.stdin)
print("installed within %d us, handshake complete within %d us (log2 buckets)" %
      (l["install_p50_us"], l["handshake_p50_us"]))'
say "/wgjit/peers"
peers_shown() { tel /wgjit/peers | grep -q endpoint; }
wait_for 30 peers_shown || true
tel /wgjit/peers

say "ci1 goes idle: evicted after ${EVICT_IDLE} s without a handshake"
wait_for 200 stat_is evictions 1 || fail "no eviction"
echo "gateway device peers: $(device_peers) (the static peer is never touched)"
show_stats

say "ci1 comes back (a new session): installed again from the cache, no API request"
client_restart ci1
T0=$(date +%s%N)
cl ping -c 1 -W 4 -I "$IF_ci1" "$TUN_GW" >/dev/null || fail "ci1 did not come back"
echo "reconnected in $(( ($(date +%s%N) - T0) / 1000000 )) ms"
show_stats

say "stopping (SIGTERM); namespaces and processes are removed"
