#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The control path against real parts: a wireguard-go gateway (UAPI), the
# reference control plane over HTTP, a SQLite cache file, and wireguard-go
# clients in another namespace (tests/lib/topo.py, with the gateway kernel
# on the wire: ctl_live captures there, no wgjit). Checks: a new client's
# first initiation -> one API request -> install -> gateway-initiated
# handshake well under the 5 s retry; an unknown client (404) is never
# installed and not asked for again within the negative TTL; an idle peer
# is evicted while a static peer stays; the evicted client comes back just
# in time; a restart keeps the cache (no second API request).
#
# usage: ctl_live.sh CTL_LIVE WGJIT_CP_PY
set -euo pipefail
ctl_live=$1
cp_py=$2
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgjc

fail() {
	echo "FAIL: $*" >&2
	[ -f "$TMP/stats.json" ] && cat "$TMP/stats.json" >&2
	[ -f "$TMP/ctl.log" ] && tail -20 "$TMP/ctl.log" >&2
	exit 1
}
ctl_stat() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$TMP/stats.json" "$1"
}
stat_ge() { [ "$(ctl_stat "$1" 2>/dev/null || echo -1)" -ge "$2" ]; }

# Gateway (the operator set key, port and a static peer once, with wg),
# control plane; clients: A is known to the control plane, B is not.
topo_up --kernel --cp-py "$cp_py"
client A 0
client B 1
cl ip link set "$IF_A" up
cl ip link set "$IF_B" up
topo cp-add --client A

# CTL_WRAP (e.g. valgrind) runs the control path under a checker; its
# exit status at each stop must be 0.
start_ctl() {
	ip netns exec "$GW" ${CTL_WRAP:-} "$ctl_live" --ifname "$WGG" --capture "$VG" \
		--url "$CP_URL" --db "$TMP/cache.db" --idle-ms 2000 \
		--grace-ms 3000 --stats "$TMP/stats.json" >"$TMP/ctl.log" 2>&1 &
	ctl_pid=$!
	PIDS+=($ctl_pid)
	wait_for 300 grep -q ready "$TMP/ctl.log" || fail "ctl_live did not start"
}
stop_ctl() {
	local rc=0
	kill "$ctl_pid"
	wait "$ctl_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "ctl_live exited $rc: $(tail -5 "$TMP/ctl.log")"
}
start_ctl

# 1. A never-seen client: its first ping goes through well under 5 s.
t0=$(date +%s%N)
cl ping -c 1 -W 4 -I "$IF_A" "$TUN_GW" >/dev/null || fail "A: no tunnel"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "first ping of a never-seen client: $ms ms"
[ "$ms" -lt 3000 ] || fail "A took $ms ms: waited for the client's retry"
gw wg show "$WGG" latest-handshakes | grep -q "$PUB_A" ||
	fail "A not in the gateway device"
[ "$(topo cp-requests)" -eq 1 ] || fail "API requests $(topo cp-requests), want 1"
wait_for 30 stat_ge handshakes 1 || fail "handshake not seen"
wait_for 30 stat_ge peers_listed 1 || fail "installed peer not listed"

# 2. Unknown client: 404, nothing installed, no second request.
cl ping -c 1 -W 1 -I "$IF_B" "$TUN_GW" >/dev/null 2>&1 && fail "B got through"
wait_for 30 stat_ge api_not_found 1 || fail "B: no 404"
gw wg show "$WGG" peers | grep -q "$PUB_B" && fail "B installed"
# B's wireguard-go retries after 5 s; the negative entry absorbs it.
wait_for 80 stat_ge negative_hits 1 || fail "B retry not negative-cached"
[ "$(ctl_stat api_not_found)" -eq 1 ] || fail "B asked for twice"
[ "$(topo cp-requests)" -eq 2 ] || fail "API requests $(topo cp-requests), want 2"

# 3. Idle eviction: A stops talking (no handshake, no data for the idle
#    timeout); it goes, the static peer stays.
a_gone() { ! gw wg show "$WGG" peers | grep -q "$PUB_A"; }
wait_for 100 a_gone || fail "A not evicted"
gw wg show "$WGG" peers | grep -q "$STATIC" || fail "static peer touched"
[ "$(ctl_stat evictions)" -eq 1 ] || fail "evictions $(ctl_stat evictions)"

# 4. The evicted client comes back just in time (fresh session), from the
#    cache: no new API request.
client_restart A
cl ping -c 1 -W 4 -I "$IF_A" "$TUN_GW" >/dev/null || fail "A did not come back"
[ "$(ctl_stat cache_hits)" -ge 1 ] || fail "reinstall not from cache"
[ "$(topo cp-requests)" -eq 2 ] || fail "API requests $(topo cp-requests) after return"

# 5. Restart while the tunnel carries traffic: the cache and the install
#    record survive, the active peer is neither evicted nor reinstalled.
installs=$(ctl_stat installs)
ip netns exec "$CL" ping -q -i 0.2 -w 30 -I "$IF_A" "$TUN_GW" > "$TMP/ping.out" 2>&1 &
ping_pid=$!
PIDS+=($ping_pid)
stop_ctl
start_ctl
sleep 3
[ "$(ctl_stat reconciled)" -eq 0 ] || fail "restart dropped records"
[ "$(ctl_stat evictions)" -eq 0 ] || fail "active peer evicted after restart"
[ "$(ctl_stat peers_installed)" -eq 1 ] || fail "restart lost the install record"
cl ping -c 1 -W 2 -I "$IF_A" "$TUN_GW" >/dev/null || fail "tunnel broke on restart"
[ "$(ctl_stat installs)" -eq 0 ] || fail "duplicate install after restart"
kill -INT "$ping_pid" 2>/dev/null || true
wait "$ping_pid" 2>/dev/null || true
grep -q " 0% packet loss" "$TMP/ping.out" || fail "traffic lost during restart: $(cat "$TMP/ping.out")"
stop_ctl
echo "ctl_live: ok (installs before restart: $installs)"
