# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs inside the VM (busybox sh), called by smoke.sh: checks that kernel
# WireGuard answers over generic netlink with the state the harness set and
# that a peer set with `wg set` reads back exactly with `wg show dump`.
# Prints "smoke-guest: ok" and exits 0 only if every check passes.

set -e
fail()
{
	echo "smoke-guest: FAIL: $*"
	exit 1
}

expect()
{
	[ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

[ -n "$WGJIT_VM_RESULT" ] || fail "WGJIT_VM_RESULT is not set"
/usr/sbin/ip -d link show wg0 | grep -q ' wireguard ' || fail "wg0 is not of kind wireguard"
expect "listen-port" "$(wg show wg0 listen-port)" 51820
expect "public-key" "$(wg show wg0 public-key)" "$(cat "$WGJIT_VM_RESULT/wg0.pub")"
expect "peers before" "$(wg show wg0 peers)" ""

peer=$1
psk_file=/tmp/psk
echo "$2" > "$psk_file"
wg set wg0 peer "$peer" preshared-key "$psk_file" endpoint 10.254.0.9:4242 \
	persistent-keepalive 25 allowed-ips 10.253.0.2/32,fd00:253::2/128
expect "dump" "$(wg show wg0 dump | tail -n +2)" \
	"$(printf '%s\t%s\t10.254.0.9:4242\t10.253.0.2/32,fd00:253::2/128\t0\t0\t0\t25' \
	"$peer" "$2")"
# A second device proves that creation does not depend on harness state.
/usr/sbin/ip link add wg1 type wireguard
wg set wg1 listen-port 51821
expect "wg1 listen-port" "$(wg show wg1 listen-port)" 51821
/usr/sbin/ip link del wg1

wg set wg0 peer "$peer" remove
expect "peers after remove" "$(wg show wg0 peers)" ""
echo "smoke-guest: ok"
