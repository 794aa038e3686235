#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs test_ctl_clock against real parts in a namespace of its own: a
# wireguard-go device (UAPI backend) and the reference control plane on
# loopback. The test steps the control object's clock; nothing here waits
# for time to pass.
#
# usage: ctl_clock.sh TEST_CTL_CLOCK WGJIT_CP_PY
set -euo pipefail
test_bin=$1
cp_py=$2
tag=wgjk$$
ns=$tag-ns
ifn=${tag}G
work=$(mktemp -d)
umask 077
pids=()

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
wait_for() { # TRIES CMD...: poll every 50 ms
	local n=$1; shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" wireguard-go -f "$ifn" >"$work/wg.log" 2>&1 &
pids+=($!)
wait_for 100 test -S "/var/run/wireguard/$ifn.sock" || { echo "FAIL: wireguard-go"; exit 1; }
wg genkey > "$work/gw.key"
ip netns exec "$ns" wg set "$ifn" private-key "$work/gw.key" listen-port 51820
ip -n "$ns" link set "$ifn" up
ip netns exec "$ns" /usr/bin/python3 "$cp_py" serve --db "$work/cp.db" \
	--listen 127.0.0.1:0 --port-file "$work/cp.port" 2>"$work/cp.log" &
pids+=($!)
wait_for 100 test -s "$work/cp.port" || { echo "FAIL: control plane"; exit 1; }
ip netns exec "$ns" ${CTL_WRAP:-} "$test_bin" "$ifn" \
	"http://127.0.0.1:$(cat "$work/cp.port")" "$work"
