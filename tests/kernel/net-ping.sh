#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Kernel WireGuard in the VM against wireguard-go in a host netns, over the
# harness's --net tap. The client pings the VM's wg0 address through the
# tunnel; both ends must report the handshake, and the VM's peer line and
# byte counters must match the handshake plus exactly five echo requests and
# replies.
#   tests/kernel/net-ping.sh                     (root; about 8 s)
#       The VM adds the client with `wg set`; the client initiates.
#   tests/kernel/net-ping.sh BUILD/tests/backend/test_wg_live
#       The VM installs the client with test_wg_live --add-peer (endpoint and
#       keepalive in one set). The client has no endpoint, so the handshake
#       must come from the kernel, at once: well before the 5 s retry.

set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/run-in-vm.sh
name=net-ping tag=c logs="vm.out vm.err go.log"
. "$here/host-lib.sh"

mode=wg
bins=()
if [ $# -ge 1 ]; then
	[ -x "$1" ] || fail "not executable: $1"
	mode=bringup
	bins=(--bin "$1")
fi

# The client is up before the VM starts, so no initiation can be lost.
endpoint=(endpoint 10.254.0.2:51820)
[ $mode = wg ] || endpoint=()
host_client "${endpoint[@]}"

"$run" --net --netns "$ns" --wg-key "$tmp/vm.key" --share "$tmp" "${bins[@]}" -- \
	sh "$here/net-guest.sh" "$client_pub" "$tmp" $mode > "$tmp/vm.out" 2> "$tmp/vm.err" &
vmpid=$!

client_handshake()
{
	local hs

	hs=$(ip netns exec "$ns" wg show "$wgif" latest-handshakes | cut -f2)
	[ "$hs" != 0 ]
}

wait_for "the VM to add the peer" 50 eval 'vm_running && test -e "$tmp/ready"'
if [ $mode = bringup ]; then
	t0=$(date +%s.%N)
	wait_for "the kernel's initiation (before the 5 s retry)" 4 client_handshake
	t1=$(date +%s.%N)
	printf 'net-ping: ok: handshake from the kernel %.3f s after the install\n' \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
fi
t0=$(date +%s.%N)
ping_out=$(ip netns exec "$ns" ping -n -c 5 -i 0.2 -W 5 10.253.0.1) ||
	{ echo "$ping_out" >&2; fail "ping through the tunnel failed"; }
t1=$(date +%s.%N)
echo "$ping_out" | grep -q '^5 packets transmitted, 5 received' ||
	{ echo "$ping_out" >&2; fail "not 5 of 5 replies"; }
client_handshake || fail "client: no handshake"

vm_finish
[ $vm_rc = 0 ] || fail "VM run exited $vm_rc"

# pubkey psk endpoint allowed-ips latest-handshake rx tx keepalive.
# Sizes: initiation 148, response 92, keepalive 32, data 128 (16 header,
# the 84-byte echo padded to 96, 16 tag). wg: the client initiates; the VM
# gets 148 + 5 * 128 and sends 92 + 5 * 128. bringup: the kernel initiates
# and confirms the session with a keepalive: it gets 92 + 5 * 128 and sends
# 148 + 32 + 5 * 128.
if [ $mode = wg ]; then
	want_rx=788 want_tx=732 want_ka=off
else
	want_rx=732 want_tx=820 want_ka=25
fi
read -r pub psk ep aips lhs rx tx ka < <(tail -n 1 "$tmp/vm.out")
[ "$pub" = "$client_pub" ] || fail "VM peer is '$pub'"
[ "$psk" = "(none)" ] || fail "VM peer psk '$psk'"
[ "$ep" = 10.254.0.1:51999 ] || fail "VM peer endpoint '$ep'"
[ "$aips" = 10.253.0.2/32 ] || fail "VM peer allowed-ips '$aips'"
[ "$lhs" != 0 ] || fail "VM: no handshake"
[ "$rx" = $want_rx ] || fail "VM peer rx bytes $rx, expected $want_rx"
[ "$tx" = $want_tx ] || fail "VM peer tx bytes $tx, expected $want_tx"
[ "$ka" = $want_ka ] || fail "VM peer keepalive '$ka', expected $want_ka"
printf 'net-ping: ok: 5/5 echo replies through kernel WireGuard in %.2f s\n' \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
