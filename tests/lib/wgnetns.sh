# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Network namespace and wireguard-go helpers for integration tests.
# Source it, then call wgns_init once:
#
#   . tests/lib/wgnetns.sh
#   wgns_init wgjx                   # prefix; installs the EXIT trap
#   wgns_ns a; ns=$WGNS_LAST         # creates netns wgjx-$$-a
#   wgns_ifname g; ifn=$WGNS_LAST    # unique interface name (<= 15 chars)
#   wgns_veth "$ns1" v1 10.0.0.1/24 "$ns2" v2 10.0.0.2/24
#   wgns_wg_start "$ns" "$ifn"       # wireguard-go -f in the netns, waits
#                                    # for /var/run/wireguard/$ifn.sock
#   wgns_wait_handshake "$ns" "$ifn" "$pubkey" 1000   # poll, ms budget
#
# UAPI sockets are shared by all namespaces, hence interface names carry
# the prefix and the PID. Cleanup (kill wireguard-go, delete namespaces and
# sockets) runs on EXIT; a test adding its own EXIT trap must call
# wgns_cleanup from it.

WGNS_PREFIX=
WGNS_NAMESPACES=()
WGNS_PIDS=()
WGNS_IFNAMES=()

wgns_die() {
	echo "FAIL: $*" >&2
	exit 1
}

wgns_init() {
	WGNS_PREFIX=$1
	[ -n "$WGNS_PREFIX" ] || wgns_die "wgns_init: no prefix"
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for tool in ip wireguard-go wg; do
		command -v "$tool" >/dev/null ||
			{ echo "SKIP: $tool missing"; exit 77; }
	done
	[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
	trap wgns_cleanup EXIT
}

wgns_cleanup() {
	local pid ns ifn
	for pid in "${WGNS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${WGNS_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${WGNS_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for ifn in "${WGNS_IFNAMES[@]}"; do
		rm -f "/var/run/wireguard/$ifn.sock"
	done
	WGNS_PIDS=() WGNS_NAMESPACES=() WGNS_IFNAMES=()
}

# wgns_ns SUFFIX: create netns PREFIX-PID-SUFFIX with lo up; its name is
# left in WGNS_LAST (not printed: a $( ) subshell would lose the cleanup).
wgns_ns() {
	local ns="$WGNS_PREFIX-$$-$1"
	ip netns add "$ns" || wgns_die "ip netns add $ns"
	WGNS_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
	WGNS_LAST=$ns
}

# wgns_ifname SUFFIX: a unique interface name, also left in WGNS_LAST.
wgns_ifname() {
	WGNS_LAST=$(printf '%s%s%s' "$WGNS_PREFIX" "$$" "$1" | cut -c1-15)
}

# wgns_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between namespaces,
# addressed and up (no TX checksum offload, see testbed.md).
wgns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		wgns_die "veth $2/$5"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
	if command -v ethtool >/dev/null; then
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
		ip netns exec "$4" ethtool -K "$5" tx off >/dev/null 2>&1
	fi
	return 0
}

# wgns_wait_sock PATH MS: poll until PATH exists as a socket.
wgns_wait_sock() {
	local i
	for ((i = 0; i < $2; i += 10)); do
		[ -S "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

# wgns_wg_start NS IFNAME: start wireguard-go for IFNAME in NS and wait for
# its UAPI socket (5 s at most).
wgns_wg_start() {
	local sock="/var/run/wireguard/$2.sock"
	[ ! -e "$sock" ] || wgns_die "$sock already exists"
	WGNS_IFNAMES+=("$2")
	ip netns exec "$1" wireguard-go -f "$2" >/dev/null 2>&1 &
	WGNS_PIDS+=($!)
	wgns_wait_sock "$sock" 5000 || wgns_die "no UAPI socket $sock"
}

# wgns_wg_conf NS IFNAME PRIVKEY_FILE PORT ADDR: key, port, address, up.
wgns_wg_conf() {
	ip netns exec "$1" wg set "$2" private-key "$3" listen-port "$4" ||
		wgns_die "wg set $2"
	ip -n "$1" addr add "$5" dev "$2"
	ip -n "$1" link set "$2" up
}

# wgns_handshake NS IFNAME PUBKEY: the peer's latest handshake (0 = none).
wgns_handshake() {
	ip netns exec "$1" wg show "$2" latest-handshakes |
		awk -v k="$3" '$1 == k { print $2 }'
}

# wgns_wait_handshake NS IFNAME PUBKEY MS: poll until a handshake happened
# with PUBKEY; print the elapsed milliseconds; fail after MS.
wgns_wait_handshake() {
	local start now hs
	start=$(date +%s%3N)
	while :; do
		hs=$(wgns_handshake "$1" "$2" "$3")
		now=$(date +%s%3N)
		if [ -n "$hs" ] && [ "$hs" != 0 ]; then
			echo $((now - start))
			return 0
		fi
		[ $((now - start)) -lt "$4" ] || return 1
		sleep 0.005
	done
}
