#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Steer mode on a real veth: a net_af_xdp port with wgjit's XDP program
# (xdp_steer_port) in namespace gw, traffic from namespace cl.
# 1. Initiations (UDP sockets over IPv4 and IPv6, real ones from
#    wginit.py, 802.1Q and 802.1ad tagged) reach the DPDK port and not
#    the kernel; pings are answered by gw's kernel; UDP to another port,
#    a 92-byte response and a 147-byte type 1 reach gw's sockets; ARP,
#    QinQ and a truncated frame pass. Every counter is checked exactly.
# 2. Queues: veth has no "combined" channels, so the PMD refuses
#    queue_count=2; a port on queue 1 alone steers what arrives there and
#    what arrives on queue 0 goes to the kernel (no_xsk).
# 3. A wgjit killed without closing its port leaves the program attached:
#    initiations then reach the kernel (fail open), and the next start
#    detaches it (wgjit_xdp_detach_stale) and attaches its own.
#
# usage: steer_veth.sh PATH/TO/xdp_steer_port PATH/TO/wgjit_steer.bpf.o

set -eu
BIN=$1
OBJ=$2
HERE=$(dirname "$(readlink -f "$0")")
TRAFFIC="/usr/bin/python3 $HERE/steer_traffic.py"
WGINIT="/usr/bin/python3 $HERE/../lib/wginit.py"
PORT=51820

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for tool in ip ethtool taskset tcpreplay /usr/bin/python3 wg; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

P=wgxs-$$
GW=$P-gw
CL=$P-cl
VG=xs$$g
VC=xs$$c
TMP=$(mktemp -d)
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	ip netns del "$GW" 2>/dev/null || true
	ip netns del "$CL" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$TMP/port.out" ] && sed 's/^/  port: /' "$TMP/port.out"
	[ -f "$TMP/port.err" ] && grep -v '^EAL\|^TELEMETRY' "$TMP/port.err" |
		sed 's/^/  pmd: /'
	exit 1
}

wait_file() {	# FILE TENTHS
	local i
	for ((i = 0; i < $2; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- topology: a 2-queue veth; static neighbours, no DAD, no RS, no
# link-local address, and MLD retransmits 10 ms apart, so that nothing
# but our traffic crosses the wire while the program counts.
ip netns add "$GW"
ip netns add "$CL"
ip -n "$GW" link set lo up
ip -n "$CL" link set lo up
ip link add "$VG" netns "$GW" numrxqueues 2 numtxqueues 2 type veth \
	peer name "$VC" netns "$CL" numrxqueues 2 numtxqueues 2
for pair in "$GW $VG" "$CL $VC"; do
	set -- $pair
	ip netns exec "$1" sysctl -qw net.ipv6.conf."$2".addr_gen_mode=1 \
		net.ipv6.conf."$2".accept_dad=0 \
		net.ipv6.conf."$2".router_solicitations=0 \
		net.ipv6.conf."$2".mldv1_unsolicited_report_interval=10 \
		net.ipv6.conf."$2".mldv2_unsolicited_report_interval=10
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
done
ip -n "$GW" addr add 10.91.0.1/24 dev "$VG"
ip -n "$GW" addr add fd91::1/64 dev "$VG" nodad
ip -n "$CL" addr add 10.91.0.2/24 dev "$VC"
ip -n "$CL" addr add fd91::2/64 dev "$VC" nodad
MG=$(ip netns exec "$GW" cat "/sys/class/net/$VG/address")
MC=$(ip netns exec "$CL" cat "/sys/class/net/$VC/address")
ip -n "$GW" neigh add 10.91.0.2 lladdr "$MC" dev "$VG" nud permanent
ip -n "$GW" neigh add fd91::2 lladdr "$MC" dev "$VG" nud permanent
ip -n "$CL" neigh add 10.91.0.1 lladdr "$MG" dev "$VC" nud permanent
ip -n "$CL" neigh add fd91::1 lladdr "$MG" dev "$VC" nud permanent
ip -n "$GW" link set "$VG" up
ip -n "$CL" link set "$VC" up
# Carrier-up reaches IPv6 through linkwatch (up to 1 s later) and sets
# off the MLD reports: wait for operstate up, then for cl's TX counter to
# stand still for half a second, before the program starts counting.
wait_quiet() {
	local i last=-1 now still=0
	for ((i = 0; i < 50; i++)); do
		if [ "$(ip netns exec "$CL" cat "/sys/class/net/$VC/operstate")" = up ]; then
			now=$(ip netns exec "$CL" cat \
				"/sys/class/net/$VC/statistics/tx_packets")
			[ "$now" = "$last" ] && still=$((still + 1)) || still=0
			[ "$still" -ge 5 ] && return 0
			last=$now
		fi
		sleep 0.1
	done
	fail "$VC never went quiet"
}
wait_quiet

# XPS: a sender on CPU c uses TX queue c, which veth delivers to RX queue c.
ip netns exec "$CL" sh -c "echo 1 > /sys/class/net/$VC/queues/tx-0/xps_cpus
	echo 2 > /sys/class/net/$VC/queues/tx-1/xps_cpus"

# start_port NAME [xdp_steer_port options]: in gw, one lcore, background.
start_port() {
	local name=$1
	shift
	rm -f "$TMP/ready" "$TMP/stop" "$TMP/port.out" "$TMP/port.err"
	ip netns exec "$GW" "$BIN" -l 0 --no-pci --no-huge -m 256 --no-shconf \
		--file-prefix "$P-$name" --log-level=pmd.net.af_xdp:info -- \
		--iface "$VG" --prog "$OBJ" --port "$PORT" --ready "$TMP/ready" \
		--stop "$TMP/stop" --seconds 60 "$@" \
		> "$TMP/port.out" 2> "$TMP/port.err" &
	PORT_PID=$!
	PIDS+=("$PORT_PID")
	wait_file "$TMP/ready" 150 || fail "$name: port not ready"
}

# stop_port: let it print its counters; $1 = expected exit status.
stop_port() {
	local rc=0
	touch "$TMP/stop"
	wait "$PORT_PID" || rc=$?
	[ "$rc" = "$1" ] || fail "xdp_steer_port exited $rc, want $1"
}

start_sink() {
	rm -f "$TMP/sink.ready" "$TMP/sink.out"
	ip netns exec "$GW" $TRAFFIC sink --ports "$PORT,$((PORT + 1))" \
		--ready "$TMP/sink.ready" --out "$TMP/sink.out" &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	wait_file "$TMP/sink.ready" 100 || fail "sink not ready"
}

stop_sink() {
	kill "$SINK_PID"
	wait "$SINK_PID" || fail "sink exited $?"
}

# want KEY VALUE: a key=value line of the port's output.
want() {
	local got
	got=$(sed -n "s/^$1=//p" "$TMP/port.out")
	[ "$got" = "$2" ] || fail "$1=$got, want $2"
}

# sink_count PORT TYPE LEN: datagrams gw's kernel delivered.
sink_count() {
	awk -v p="$1" -v t="$2" -v n="$3" \
		'$1 == p && $2 == t && $3 == n { c += $4 } END { print c + 0 }' \
		"$TMP/sink.out"
}

udp() {	# CPU ADDR PORT TYPE LEN COUNT
	ip netns exec "$CL" taskset -c "$1" $TRAFFIC udp --to "$2" --port "$3" \
		--type "$4" --len "$5" --count "$6"
}

# --- 1. one queue: what is steered, what the kernel gets, exact counters.
# Every sender runs on CPU 0, so everything arrives on RX queue 0.
(umask 077; wg genkey > "$TMP/gw.key")
$WGINIT pcap --responder-pub "$(wg pubkey < "$TMP/gw.key")" \
	--out "$TMP/init.pcap" --count 4 --src 10.91.0.2 \
	--dst "10.91.0.1:$PORT" --distinct >/dev/null

start_sink
start_port single
grep -qx 'mode=drv' "$TMP/port.out" || fail "not attached in native mode"
ip -n "$GW" link show "$VG" | grep -q 'prog/xdp id .* name wgjit_steer' ||
	fail "ip link does not show wgjit_steer"

udp 0 10.91.0.1 "$PORT" 1 148 5
udp 0 fd91::1 "$PORT" 1 148 5
ip netns exec "$CL" taskset -c 0 tcpreplay -q -i "$VC" "$TMP/init.pcap" \
	>/dev/null 2>&1 || fail "tcpreplay"
ip netns exec "$CL" taskset -c 0 $TRAFFIC raw --iface "$VC" --dst-mac "$MG" \
	--src4 10.91.0.2 --dst4 10.91.0.1 --port "$PORT" \
	dot1q-init dot1ad-init qinq-init arp truncated
udp 0 10.91.0.1 "$PORT" 2 92 1
udp 0 fd91::1 "$PORT" 2 92 1
udp 0 10.91.0.1 "$PORT" 1 147 1
udp 0 10.91.0.1 $((PORT + 1)) 1 148 1
udp 0 fd91::1 $((PORT + 1)) 1 148 1
ip netns exec "$CL" taskset -c 0 ping -q -c 3 -i 0.05 -W 1 10.91.0.1 \
	>/dev/null || fail "IPv4 ping not answered by gw's kernel"
ip netns exec "$CL" taskset -c 0 ping -q -c 3 -i 0.05 -W 1 fd91::1 >/dev/null ||
	fail "IPv6 ping not answered by gw's kernel"
sleep 0.3	# the last datagrams into the sink and the port
stop_sink
stop_port 0

# 10 from sockets + 4 from wginit.py + 802.1Q + 802.1ad.
want xdp_steered 16
want rx_initiation 16
want rx_other 0
want rx_q0 16
want xdp_no_xsk 0
want xdp_pass_disabled 0
want xdp_pass_not_ip 2		# ARP, QinQ
want xdp_pass_truncated 1
want xdp_pass_not_udp 6		# echo requests
want xdp_pass_other_port 2
want xdp_pass_not_initiation 3	# 2 responses, one 147-byte type 1
want xdp_passed 14
want detached_at_close 1
[ "$(sink_count "$PORT" 1 148)" = 0 ] || fail "gw's kernel got initiations"
[ "$(sink_count "$PORT" 2 92)" = 2 ] || fail "responses not delivered"
[ "$(sink_count "$PORT" 1 147)" = 1 ] || fail "147-byte message not delivered"
[ "$(sink_count $((PORT + 1)) 1 148)" = 2 ] || fail "other port not delivered"
ip -n "$GW" link show "$VG" | grep -q 'prog/xdp' &&
	fail "program still attached after close"
echo "ok   single queue: 16 initiations steered, 14 frames to the kernel, counters exact"

# --- 2. queues.
ip netns exec "$CL" ethtool -l "$VC" 2>/dev/null | grep -q 'Combined:.*n/a' ||
	echo "note: veth now reports combined channels"
rm -f "$TMP/port.out"
ip netns exec "$GW" "$BIN" -l 0 --no-pci --no-huge -m 256 --no-shconf \
	--file-prefix "$P-q2" --log-level=pmd.net.af_xdp:info -- \
	--iface "$VG" --prog "$OBJ" --port "$PORT" --queues 2 --seconds 1 \
	> "$TMP/port.out" 2> "$TMP/port.err" && q2=0 || q2=$?
if [ "$q2" = 0 ]; then
	echo "note: queue_count=2 accepted on veth"
else
	grep -q 'queue count 2 is larger than combined queue count 1' \
		"$TMP/port.err" || fail "queue_count=2 failed for another reason"
	echo "ok   queue_count=2 refused: veth has no combined channels"
fi

start_sink
start_port queue1 --start-queue 1
udp 0 10.91.0.1 "$PORT" 1 148 3	# TX/RX queue 0: no socket there
udp 1 10.91.0.1 "$PORT" 1 148 4	# queue 1: steered
udp 1 fd91::1 "$PORT" 1 148 2
sleep 0.3
stop_sink
stop_port 0
want xdp_steered 6
want xdp_no_xsk 3
want rx_q1 6
[ "$(sink_count "$PORT" 1 148)" = 3 ] ||
	fail "queue 0 initiations: kernel got $(sink_count "$PORT" 1 148), want 3"
echo "ok   start_queue=1: queue 1 steered (6), queue 0 to the kernel (3)"

# --- 3. a crash leaves the program attached; it fails open; restart.
start_port crash --crash
stop_port 3
ip -n "$GW" link show "$VG" | grep -q 'prog/xdp id .* name wgjit_steer' ||
	fail "no program left after the crash"
start_sink
udp 0 10.91.0.1 "$PORT" 1 148 3
sleep 0.3
stop_sink
[ "$(sink_count "$PORT" 1 148)" = 3 ] ||
	fail "stale program: kernel got $(sink_count "$PORT" 1 148) initiations, want 3"
start_port restart
want stale_detached 1
udp 0 10.91.0.1 "$PORT" 1 148 2
sleep 0.3
stop_port 0
want xdp_steered 2
want detached_at_close 1
echo "ok   crash: stale program fails open, next start detaches it"
