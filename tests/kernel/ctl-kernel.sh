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
name=ctl-kernel tag=k logs="vm.out vm.err ctl.log stats.json cp.log"
. "$here/host-lib.sh"
stat_of() { json_get "$tmp/stats.json" "$1"; }
stat_eq() { [ "$(stat_of "$1")" = "$2" ]; }

[ -x "$ctl_live" ] || fail "not executable: $ctl_live"
host_client endpoint 10.254.0.2:51820
host_cp "$cp_py"

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
vm_finish
[ $vm_rc = 0 ] || fail "VM run exited $vm_rc"
grep -qx "$static_pub" "$tmp/peers.final" || fail "static peer touched"
grep -qx "$client_pub" "$tmp/peers.final" && fail "evicted peer still in wg0"
echo "ctl-kernel: ok: installed over Netlink, evicted by age, static peer kept"
