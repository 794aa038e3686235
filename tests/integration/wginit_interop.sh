#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The test initiator (tests/lib/wginit.py) is itself checked against real
# wireguard-go: an initiation from a configured peer gets a handshake
# response, one from an unknown key does not. The hostile-input tests rely
# on it, so it must be right.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tag=wgjx$$
ns=$tag-ns
work=$(mktemp -d)
umask 077
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" wireguard-go -f "${tag}w" >/dev/null 2>&1 &
for _ in $(seq 100); do
	[ -S "/var/run/wireguard/${tag}w.sock" ] && break
	sleep 0.05
done
wg genkey > "$work/gw.key"
wg genkey > "$work/peer.key"
wg genkey > "$work/stranger.key"
ip netns exec "$ns" wg set "${tag}w" private-key "$work/gw.key" \
	listen-port 51820 peer "$(wg pubkey < "$work/peer.key")" \
	allowed-ips 10.5.0.2/32
ip -n "$ns" link set "${tag}w" up
gwpub=$(wg pubkey < "$work/gw.key")
out=$(ip netns exec "$ns" /usr/bin/python3 "$here/../lib/wginit.py" send \
	--responder-pub "$gwpub" --key "$work/peer.key" --to 127.0.0.1:51820)
[ "$out" = response ] || fail "configured peer: $out"
out=$(ip netns exec "$ns" /usr/bin/python3 "$here/../lib/wginit.py" send \
	--timeout 0.5 --responder-pub "$gwpub" --key "$work/stranger.key" \
	--to 127.0.0.1:51820 || true)
[ "$out" = "no response" ] || fail "unknown key: $out"
echo "wginit_interop: wireguard-go accepts wginit.py initiations"
