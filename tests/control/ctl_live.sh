#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The control path against real parts: a wireguard-go gateway (UAPI), the
# reference control plane over HTTP, a SQLite cache file, and wireguard-go
# clients in another namespace. Checks: a new client's first initiation ->
# one API request -> install -> gateway-initiated handshake well under the
# 5 s retry; an unknown client (404) is never installed and not asked for
# again within the negative TTL; an idle peer is evicted while a static
# peer stays; the evicted client comes back just in time; a restart keeps
# the cache (no second API request).
#
# usage: ctl_live.sh CTL_LIVE WGJIT_CP_PY
set -euo pipefail
ctl_live=$1
cp_py=$2
tag=wgjc$$
gw=$tag-gw
cl=$tag-cl
work=$(mktemp -d)
umask 077
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for ns in "$cl" "$gw"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	done
	sleep 0.1
	ip netns del "$cl" 2>/dev/null || true
	ip netns del "$gw" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/stats.json" ] && cat "$work/stats.json" >&2
	[ -f "$work/ctl.log" ] && tail -20 "$work/ctl.log" >&2
	exit 1
}
wait_for() { # TRIES CMD...: poll every 50 ms
	local n=$1; shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}
stat_of() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$work/stats.json" "$1"
}
stat_ge() { [ "$(stat_of "$1" 2>/dev/null || echo -1)" -ge "$2" ]; }
cp_requests() {
	ip netns exec "$gw" /usr/bin/python3 -c 'import json,sys,urllib.request as u; print(json.load(u.urlopen(sys.argv[1]+"/admin/stats"))["requests"])' "$url"
}

ip netns add "$gw"
ip netns add "$cl"
ip link add "${tag}g" netns "$gw" type veth peer name "${tag}c" netns "$cl"
ip -n "$gw" addr add 10.66.0.1/24 dev "${tag}g"
ip -n "$cl" addr add 10.66.0.2/24 dev "${tag}c"
for ns in "$gw" "$cl"; do ip -n "$ns" link set lo up; done
ip -n "$gw" link set "${tag}g" up
ip -n "$cl" link set "${tag}c" up

start_wg() { # NS IFNAME
	ip netns exec "$1" wireguard-go -f "$2" >"$work/$2.log" 2>&1 &
	pids+=($!)
	wait_for 100 test -S "/var/run/wireguard/$2.sock" || fail "wireguard-go $2"
}

# Gateway: the operator sets key and port once, with wg.
wg genkey > "$work/gw.key"
gwpub=$(wg pubkey < "$work/gw.key")
start_wg "$gw" "${tag}G"
ip netns exec "$gw" wg set "${tag}G" private-key "$work/gw.key" listen-port 51820
ip -n "$gw" addr add 10.99.0.1/24 dev "${tag}G"
ip -n "$gw" addr add 10.98.0.1/24 dev "${tag}G"
ip -n "$gw" link set "${tag}G" up
static=$(wg genkey | wg pubkey)
ip netns exec "$gw" wg set "${tag}G" peer "$static" allowed-ips 10.97.0.9/32

# Clients: A is known to the control plane, B is not.
client() { # NAME LISTEN_PORT ADDR ROUTE
	local ifn=${tag}$1
	wg genkey > "$work/$1.key"
	wg pubkey < "$work/$1.key" > "$work/$1.pub"
	start_wg "$cl" "$ifn"
	ip netns exec "$cl" wg set "$ifn" private-key "$work/$1.key" \
		listen-port "$2" peer "$gwpub" endpoint 10.66.0.1:51820 \
		allowed-ips "$4"
	ip -n "$cl" addr add "$3" dev "$ifn"
	ip -n "$cl" link set "$ifn" up
}
client A 61001 10.99.0.2/24 10.99.0.1/32
client B 61002 10.98.0.3/24 10.98.0.1/32

/usr/bin/python3 "$cp_py" add --db "$work/cp.db" --public-key "$(cat "$work/A.pub")" \
	--allowed-ips 10.99.0.2/32 >/dev/null
ip netns exec "$gw" /usr/bin/python3 "$cp_py" serve --db "$work/cp.db" \
	--listen 127.0.0.1:0 --port-file "$work/cp.port" 2>"$work/cp.log" &
pids+=($!)
wait_for 100 test -s "$work/cp.port" || fail "control plane did not start"
url=http://127.0.0.1:$(cat "$work/cp.port")

# CTL_WRAP (e.g. valgrind) runs the control path under a checker; its
# exit status at each stop must be 0.
start_ctl() {
	ip netns exec "$gw" ${CTL_WRAP:-} "$ctl_live" --ifname "${tag}G" --capture "${tag}g" \
		--url "$url" --db "$work/cache.db" --idle-ms 2000 \
		--grace-ms 3000 --stats "$work/stats.json" >"$work/ctl.log" 2>&1 &
	ctl_pid=$!
	pids+=($ctl_pid)
	wait_for 600 grep -q ready "$work/ctl.log" || fail "ctl_live did not start"
}
stop_ctl() {
	local rc=0
	kill "$ctl_pid"
	wait "$ctl_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "ctl_live exited $rc: $(tail -5 "$work/ctl.log")"
}
start_ctl

# 1. A never-seen client: its first ping goes through well under 5 s.
t0=$(date +%s%N)
ip netns exec "$cl" ping -c 1 -W 4 10.99.0.1 >/dev/null || fail "A: no tunnel"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "first ping of a never-seen client: $ms ms"
[ "$ms" -lt 3000 ] || fail "A took $ms ms: waited for the client's retry"
ip netns exec "$gw" wg show "${tag}G" latest-handshakes | \
	grep -q "$(cat "$work/A.pub")" || fail "A not in the gateway device"
[ "$(cp_requests)" -eq 1 ] || fail "API requests $(cp_requests), want 1"
wait_for 60 stat_ge handshakes 1 || fail "handshake not seen"
wait_for 60 stat_ge peers_listed 1 || fail "installed peer not listed"

# 2. Unknown client: 404, nothing installed, no second request.
ip netns exec "$cl" ping -c 1 -W 1 10.98.0.1 >/dev/null 2>&1 && fail "B got through"
wait_for 60 stat_ge api_not_found 1 || fail "B: no 404"
ip netns exec "$gw" wg show "${tag}G" peers | grep -q "$(cat "$work/B.pub")" && \
	fail "B installed"
# B's wireguard-go retries after 5 s; the negative entry absorbs it.
wait_for 160 stat_ge negative_hits 1 || fail "B retry not negative-cached"
[ "$(stat_of api_not_found)" -eq 1 ] || fail "B asked for twice"
[ "$(cp_requests)" -eq 2 ] || fail "API requests $(cp_requests), want 2"

# 3. Idle eviction: A stops talking (no handshake, no data for the idle
#    timeout); it goes, the static peer stays.
wait_for 200 sh -c "! ip netns exec $gw wg show ${tag}G peers | grep -q '$(cat "$work/A.pub")'" || \
	fail "A not evicted"
ip netns exec "$gw" wg show "${tag}G" peers | grep -q "$static" || fail "static peer touched"
[ "$(stat_of evictions)" -eq 1 ] || fail "evictions $(stat_of evictions)"

# 4. The evicted client comes back just in time (fresh session), from the
#    cache: no new API request.
ip netns exec "$cl" wg set "${tag}A" peer "$gwpub" remove
ip netns exec "$cl" wg set "${tag}A" peer "$gwpub" endpoint 10.66.0.1:51820 \
	allowed-ips 10.99.0.1/32
ip netns exec "$cl" ping -c 1 -W 4 10.99.0.1 >/dev/null || fail "A did not come back"
[ "$(stat_of cache_hits)" -ge 1 ] || fail "reinstall not from cache"
[ "$(cp_requests)" -eq 2 ] || fail "API requests $(cp_requests) after return"

# 5. Restart while the tunnel carries traffic: the cache and the install
#    record survive, the active peer is neither evicted nor reinstalled.
installs=$(stat_of installs)
ip netns exec "$cl" ping -q -i 0.2 -w 30 10.99.0.1 > "$work/ping.out" 2>&1 &
ping_pid=$!
pids+=($ping_pid)
stop_ctl
start_ctl
sleep 3
[ "$(stat_of reconciled)" -eq 0 ] || fail "restart dropped records"
[ "$(stat_of evictions)" -eq 0 ] || fail "active peer evicted after restart"
[ "$(stat_of peers_installed)" -eq 1 ] || fail "restart lost the install record"
ip netns exec "$cl" ping -c 1 -W 2 10.99.0.1 >/dev/null || fail "tunnel broke on restart"
[ "$(stat_of installs)" -eq 0 ] || fail "duplicate install after restart"
kill -INT "$ping_pid" 2>/dev/null || true
wait "$ping_pid" 2>/dev/null || true
grep -q " 0% packet loss" "$work/ping.out" || fail "traffic lost during restart: $(cat "$work/ping.out")"
stop_ctl
echo "ctl_live: ok (installs before restart: $installs)"
