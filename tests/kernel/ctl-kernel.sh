#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The control path against real kernel WireGuard (Netlink backend) in the
# qemu VM: a wireguard-go client in a host netns, the reference control
# plane in the same netns, ctl_live in the VM capturing on eth0. The first
# ping of the never-seen client must pass well before the 5 s retry (the
# kernel initiates after the Netlink install); the peer must then be
# evicted by last-handshake age while a static peer stays.
#
#   tests/kernel/ctl-kernel.sh BUILD/tests/control/ctl_live WGJIT_CP_PY
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ctl_live=$1
cp_py=$2
ns=wgjq$$k
wgif=wgjq$$k
tmp=$(mktemp -d /tmp/wgjq-ctl.XXXXXX)
vmpid=
pids=()

cleanup()
{
	[ -z "$vmpid" ] || kill "$vmpid" 2> /dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	[ -z "$vmpid" ] || wait "$vmpid" 2> /dev/null || true
	ip netns pids "$ns" 2> /dev/null | xargs -r kill 2> /dev/null || true
	ip netns del "$ns" 2> /dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

fail()
{
	echo "ctl-kernel: FAIL: $*" >&2
	for f in vm.out vm.err ctl.log stats.json cp.log; do
		[ ! -s "$tmp/$f" ] || { echo "--- $f" >&2; tail -20 "$tmp/$f" >&2; }
	done
	exit 1
}
stat_of()
{
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$tmp/stats.json" "$1" 2> /dev/null || echo -1
}
stat_eq() { [ "$(stat_of "$1")" = "$2" ]; }
wait_for() # DESC SECONDS CMD...
{
	local desc=$1 n=$(($2 * 20))
	shift 2
	until "$@"; do
		kill -0 "$vmpid" 2> /dev/null || fail "the VM run ended early"
		n=$((n - 1))
		[ $n -gt 0 ] || fail "timed out waiting for $desc"
		sleep 0.05
	done
}

[ -x "$ctl_live" ] || fail "not executable: $ctl_live"
ip netns add "$ns"
ip -n "$ns" link set lo up
(umask 077 && wg genkey > "$tmp/vm.key" && wg genkey > "$tmp/client.key")
vm_pub=$(wg pubkey < "$tmp/vm.key")
client_pub=$(wg pubkey < "$tmp/client.key")
static_pub=$(wg genkey | wg pubkey)

ip netns exec "$ns" wireguard-go -f "$wgif" > "$tmp/go.log" 2>&1 &
pids+=($!)
wait_for_sock() { test -S "/var/run/wireguard/$wgif.sock"; }
for _ in $(seq 100); do wait_for_sock && break; sleep 0.05; done
wait_for_sock || fail "wireguard-go did not start"
ip netns exec "$ns" wg set "$wgif" private-key "$tmp/client.key" listen-port 51999 \
	peer "$vm_pub" endpoint 10.254.0.2:51820 allowed-ips 10.253.0.1/32
ip -n "$ns" addr add 10.253.0.2/24 dev "$wgif"
ip -n "$ns" link set "$wgif" up

/usr/bin/python3 "$cp_py" add --db "$tmp/cp.db" --public-key "$client_pub" \
	--allowed-ips 10.253.0.2/32 > /dev/null
ip netns exec "$ns" /usr/bin/python3 "$cp_py" serve --db "$tmp/cp.db" \
	--listen 0.0.0.0:8080 2> "$tmp/cp.log" &
pids+=($!)

"$here/run-in-vm.sh" --net --netns "$ns" --wg-key "$tmp/vm.key" --share "$tmp" \
	--bin "$ctl_live" \
	--timeout 120 -- sh "$here/ctl-guest.sh" ctl_live "$tmp" "$static_pub" \
	http://10.254.0.1:8080 > "$tmp/vm.out" 2> "$tmp/vm.err" &
vmpid=$!

wait_for "ctl_live in the VM" 60 test -s "$tmp/stats.json"
t0=$(date +%s%N)
ip netns exec "$ns" ping -c 1 -W 4 10.253.0.1 > /dev/null ||
	fail "no tunnel to kernel WireGuard"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "ctl-kernel: first ping of a never-seen client through kernel WireGuard: $ms ms"
[ "$ms" -lt 3000 ] || fail "$ms ms: the install did not bring the handshake up"
wait_for "the install to be counted" 5 stat_eq installs 1
[ "$(stat_of api_requests)" = 1 ] || fail "api_requests $(stat_of api_requests)"
wait_for "the handshake to be seen" 5 stat_eq handshakes 1
wait_for "eviction by last-handshake age" 20 stat_eq evictions 1
touch "$tmp/done"
set +e
wait "$vmpid"
rc=$?
set -e
vmpid=
[ $rc = 0 ] || fail "VM run exited $rc"
grep -qx "$static_pub" "$tmp/peers.final" || fail "static peer touched"
grep -qx "$client_pub" "$tmp/peers.final" && fail "evicted peer still in wg0"
echo "ctl-kernel: ok: installed over Netlink, evicted by age, static peer kept"
