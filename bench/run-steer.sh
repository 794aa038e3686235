#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Data at kernel speed (issue 13): iperf3 from the client namespace to the
# gateway over the veth of tests/lib/topo.py, through a real WireGuard
# tunnel (wireguard-go client -> wireguard-go gateway, the client a
# static peer so that every mode carries the same tunnel) and as plain
# traffic to the gateway's address, TCP and 64-byte UDP, in five modes:
#
#   direct   no bump: the gateway's kernel owns the veth
#   xdp      direct with wgjit's XDP program attached by ip(8) and no
#            wgjit (nothing matches, everything is XDP_PASS): what the
#            veth's XDP path costs by itself
#   steer    wgjit in steer mode on the veth (net_af_xdp + its XDP
#            program): only initiations leave the kernel
#   bump     wgjit in bump mode (af_packet uplink, TAP with the address)
#   testpmd  dpdk-testpmd io between the same af_packet uplink and a TAP:
#            the cost of any bump through a TAP
#
# and the CPU time wgjit (or testpmd) took while the traffic ran (user +
# system, per second of traffic). Modes interleave, order rotating from
# round to round; medians of ROUNDS. A fresh topology per measurement.
#
# usage: bench/run-steer.sh [ROUNDS] [SECONDS]   (default: 3 5)
set -eu
TAG=wgjks
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
SECS=${2:-5}
bench_build app/wgjit/wgjit lib/xdp/wgjit_steer.bpf.o
bench_hugepages
bench_machine
command -v iperf3 >/dev/null || die "iperf3 missing (devtools/deps.txt)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (apt-get install dpdk)"
MODES=(direct xdp steer bump testpmd)
BUMP_PID=

mode_up() { # MODE
	case $1 in
	direct|xdp|steer) topo up --kernel --no-cp >/dev/null ;;
	*) topo up --no-cp >/dev/null ;;
	esac
	eval "$(topo env)"
	client A 0
	gw wg set "$WGG" peer "$PUB_A" allowed-ips "$ADDR_A/32"
	case $1 in
	steer)
		topo app-start --wgjit "$BUILD/app/wgjit/wgjit" --huge --steer \
			wireguard.listen_port="$GW_PORT" >/dev/null ||
			die "wgjit (steer) did not start"
		BUMP_PID=$(topo pid app) ;;
	bump)
		topo app-start --wgjit "$BUILD/app/wgjit/wgjit" --huge \
			wireguard.listen_port="$GW_PORT" >/dev/null ||
			die "wgjit (bump) did not start"
		BUMP_PID=$(topo pid app) ;;
	testpmd)
		local cmd
		[ -p "$TMP/stdin" ] || mkfifo "$TMP/stdin"
		bench_argv cmd --eal --huge --vdev "net_af_packet0,iface=$VG" \
			--vdev "net_tap0,iface=$TAP,mac=$(ip -n "$GW" -j link show "$VG" |
				$PY -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')"
		ip netns exec "$GW" dpdk-testpmd "${cmd[@]}" -- --forward-mode=io \
			--total-num-mbufs=16383 --auto-start <>"$TMP/stdin" \
			> "$TMP/testpmd.log" 2>&1 &
		BUMP_PID=$!
		PIDS+=("$BUMP_PID")
		wait_for 100 ip -n "$GW" link show "$TAP" || die "testpmd: no TAP"
		gw ip addr add "$GW_ADDR/$WIRE_PLEN" dev "$TAP"
		gw ip link set "$TAP" up ;;
	xdp)
		gw ip link set dev "$VG" xdpdrv obj "$BUILD/lib/xdp/wgjit_steer.bpf.o" \
			sec xdp || die "xdp: cannot attach the program"
		BUMP_PID= ;;
	*) BUMP_PID= ;;
	esac
	cl ip link set "$IF_A" up
	# ping goes out by -I; iperf3 needs the route.
	cl ip route replace "$TUN_GW/32" dev "$IF_A"
	cl ping -c 3 -i 0.2 -W 3 -I "$IF_A" "$TUN_GW" >/dev/null || die "$1: no tunnel"
	gw iperf3 -s -D -I "$TMP/iperf.pid" >/dev/null
	sleep 0.2
}

mode_down() {
	[ -f "$TMP/iperf.pid" ] && kill "$(cat "$TMP/iperf.pid")" 2>/dev/null || true
	rm -f "$TMP/iperf.pid"
	if [ -n "$BUMP_PID" ]; then
		topo app-stop >/dev/null 2>&1 || kill "$BUMP_PID" 2>/dev/null || true
		wait "$BUMP_PID" 2>/dev/null || true
	fi
	BUMP_PID=
	# A fresh topology next time: same prefix and keys, nothing else.
	topo down --keep >/dev/null
	rm -f "$TMP"/topo.json "$TMP"/proc.*.json "$TMP"/client.*.json
	topo init --prefix "$P" >/dev/null
}

cpu_ticks() { # PID: utime + stime in clock ticks
	[ -n "$1" ] || { echo 0; return; }
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# One iperf3 run; prints "value cpu_per_s": Gbit/s (TCP) or received
# kpps (UDP), and the bump's CPU seconds per second of traffic.
iperf() { # DST tcp|udp
	local c0 c1 out
	c0=$(cpu_ticks "$BUMP_PID")
	if [ "$2" = tcp ]; then
		out=$(cl iperf3 -c "$1" -t "$SECS" -J || true)
		c1=$(cpu_ticks "$BUMP_PID")
		$PY -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    print(round(d["end"]["sum_received"]["bits_per_second"] / 1e9, 3))
except (ValueError, KeyError):
    print("nan")' "$out"
	else
		out=$(cl iperf3 -c "$1" -u -l 64 -b 0 -t "$SECS" -J || true)
		c1=$(cpu_ticks "$BUMP_PID")
		$PY -c '
import json, sys
try:
    s = json.loads(sys.argv[1])["end"]["sum"]
    print(round((s["packets"] - s["lost_packets"]) / s["seconds"] / 1000, 1))
except (ValueError, KeyError):
    print("nan")' "$out"
	fi
	$PY -c "print(round(($c1 - $c0) / $(getconf CLK_TCK) / $SECS, 2))"
}

declare -A R C
for r in $(seq "$ROUNDS"); do
	for i in "${!MODES[@]}"; do
		m=${MODES[$(( (i + r) % ${#MODES[@]} ))]}
		mode_up "$m"
		for what in tunnel_tcp tunnel_udp plain_tcp plain_udp; do
			case $what in
			tunnel_*) dst=$TUN_GW ;;
			*) dst=$GW_ADDR ;;
			esac
			read -r v cpu < <(iperf "$dst" "${what#*_}" | paste -sd' ')
			R[$m.$what]+="$v "
			C[$m.$what]+="$cpu "
			echo "round $r $m $what: $v (cpu $cpu s/s)" >&2
		done
		mode_down
	done
done
echo
echo "iperf3 client -> gateway, ${SECS} s each, median of $ROUNDS; TCP in Gbit/s, 64-byte UDP in kpps received; x direct; CPU of the bump in s per s"
echo "| mode | tunnel TCP | tunnel UDP 64 B | plain TCP | plain UDP 64 B | bump CPU (tunnel TCP) |"
echo "|---|---:|---:|---:|---:|---:|"
for m in "${MODES[@]}"; do
	row="| $m "
	for what in tunnel_tcp tunnel_udp plain_tcp plain_udp; do
		v=$(median_of "${R[$m.$what]}")
		d=$(median_of "${R[direct.$what]}")
		row+="| $v ($($PY -c "print(f'{$v / $d:.2f}x')")) "
	done
	row+="| $(median_of "${C[$m.tunnel_tcp]}") |"
	echo "$row"
done
