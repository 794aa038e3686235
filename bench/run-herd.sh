#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Herds (issue 11): N never-seen registered clients knock within one
# second, one valid initiation each from a distinct source (a pcap of
# tests/lib/wginit.py herd), against nginx serving one static JSON file
# per key. Every herd arrives at the same RATE (default 10000/s, about
# this machine's UAPI push rate: 1k in 0.1 s, 10k in 1 s), so that the
# install rate is not capped by the arrivals; wginit.py spread paces
# them in 1 ms bursts (tcpreplay's timer would spin one of the two
# cores). Measured: installs/s (first frame sent to the
# last install), the install latency p50/p99 (/wgjit/latency, log2
# buckets: upper bounds), every drop counter. Side by side in the same
# run, as the reference: a batched UAPI push of the same N peers into a
# fresh wireguard-go device (bench/uapi_load.py, batches of 1000).
#
# The gateway is sized for the herd as docs/operations.md says:
# control_plane.max_per_second = 4 N (never-seen keys get half). Both
# bring-up modes, each a row: `initiate` (the default) has wireguard-go
# build its own initiation inside the UAPI set, `reinject` hands it the
# client's. The worker sleeps when idle (workers.idle_sleep_us = 50):
# this machine has two cores, and a busy-polling worker would take one
# of them from wireguard-go, which on a gateway has cores of its own.
#
# usage: [RATE=10000] [MODES="initiate reinject"] bench/run-herd.sh [ROUNDS] [N...]
#        (default: 1 1000 5000 10000)
set -eu
TAG=wgjkh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-1}
RATE=${RATE:-10000}
read -r -a MODES <<<"${MODES:-initiate reinject}"
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 5000 10000)
bench_build app/wgjit/wgjit
bench_hugepages
bench_machine
command -v nginx >/dev/null || die "nginx missing (devtools/deps.txt)"

topo_up --no-static --no-cp
eval "$(topo nginx-start)"
VG_MAC=$(ip -n "$GW" -j link show "$VG" | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
VC_MAC=$(ip -n "$CL" -j link show "$VC" | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')

# One pcap and its keys per N, registered with nginx once.
for n in "${SIZES[@]}"; do
	[ -f "$TMP/herd$n.pcap" ] && continue
	$PY "$ROOT/tests/lib/wginit.py" herd --responder-pub "$GW_PUB" \
		--out "$TMP/herd$n.pcap" --keys-out "$TMP/herd$n.keys" --count "$n" \
		--src-net 10.200.0.0/14 --dst "$GW_ADDR:$GW_PORT" \
		--src-mac "$VC_MAC" --dst-mac "$VG_MAC"
	topo nginx-add --keys "$TMP/herd$n.keys" --net 10.64.0.0/12
done

gw_fresh() { topo gateway-stop >/dev/null; topo gateway --no-static >/dev/null; }
stat() { $PY "$ROOT/tests/app/wgjit_tel.py" "$P" /wgjit/stats --flat | sed -n "s/^$1=//p"; }
lat() { $PY "$ROOT/tests/app/wgjit_tel.py" "$P" /wgjit/latency | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

herd() { # N MODE: prints "installs_per_s p50_us p99_us drops installed"
	local n=$1 mode=$2 t0 t1 got drops
	gw_fresh
	topo app-start --wgjit "$BUILD/app/wgjit/wgjit" --huge \
		control_plane.url="$NGINX_URL" control_plane.max_per_second=$((4 * n)) \
		cache.path="$TMP/cache.$RANDOM.sqlite" bringup.mode="$mode" \
		workers.idle_sleep_us=50 >/dev/null ||
		die "wgjit did not start"
	t0=$(date +%s%N)
	ip netns exec "$CL" $PY "$ROOT/tests/lib/wginit.py" spread --pcap "$TMP/herd$n.pcap" \
		--iface "$VC" --seconds "$($PY -c "print($n / $RATE)")" 2>/dev/null
	# One process asks every 10 ms (a shell loop would load the machine).
	$PY "$ROOT/tests/app/wgjit_tel.py" "$P" /wgjit/stats --until installs="$n" \
		--wait 60 >/dev/null || true
	t1=$(date +%s%N)
	got=$(stat installs)
	drops=0
	for c in ring_full hs_queue_full pending_dropped install_failures copy_failed \
			inbox_drops api_errors pace_full; do
		drops=$((drops + $(stat "$c")))
	done
	echo "N=$n $mode counters: $($PY "$ROOT/tests/app/wgjit_tel.py" "$P" /wgjit/stats --flat |
		grep -E '^(rx|initiations|identified|hs_queued|hs_queue_full|cookies_sent|cookie_limited|ratelimited|limiter_full|ring_full|submitted|never_seen|api_requests|api_not_found|api_errors|pace_full|pending_dropped|installs|batches|fetches_waiting)=' |
		tr '\n' ' ')" >&2
	echo "N=$n $mode latency: $($PY "$ROOT/tests/app/wgjit_tel.py" "$P" /wgjit/latency)" >&2
	echo "$((got * 1000000000 / (t1 - t0))) $(lat install_p50_us) $(lat install_p99_us) $drops $got"
	topo app-stop >/dev/null
}

push() { # N: prints peers/s of a batched UAPI push into a fresh device
	local n=$1 t
	gw_fresh
	t=$(gw $PY "$ROOT/bench/uapi_load.py" push "$WGG" "$n" | awk '{print $2}')
	$PY -c "print(round($n / $t))"
}

declare -A H P50 P99 D G U
for r in $(seq "$ROUNDS"); do
	for n in "${SIZES[@]}"; do
		# Alternate the order from round to round.
		[ $((r % 2)) = 0 ] && u=$(push "$n")
		for m in "${MODES[@]}"; do
			read -r h p50 p99 d g < <(herd "$n" "$m")
			H[$n$m]+="$h "; P50[$n$m]+="$p50 "; P99[$n$m]+="$p99 "
			D[$n$m]+="$d "; G[$n$m]+="$g "
			echo "round $r N=$n $m: herd $h installs/s (installed $g, p50 <= $p50 us, p99 <= $p99 us, drops $d)" >&2
		done
		[ $((r % 2)) = 1 ] && u=$(push "$n")
		U[$n]+="$u "
		echo "round $r N=$n: push $u peers/s" >&2
	done
done
echo
echo "Herd of N never-seen clients arriving at $RATE/s vs a batched UAPI push of N peers (median of $ROUNDS)"
echo "| N | bring-up | installed | herd installs/s | push peers/s | herd / push | install p50 | install p99 | drops |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
	u=$(median_of "${U[$n]}")
	for m in "${MODES[@]}"; do
		h=$(median_of "${H[$n$m]}")
		printf '| %d | %s | %s | %.0f | %.0f | %.2fx | ≤ %.1f ms | ≤ %.1f ms | %s |\n' \
			"$n" "$m" "$(median_of "${G[$n$m]}")" "$h" "$u" "$($PY -c "print($h / $u)")" \
			"$($PY -c "print($(median_of "${P50[$n$m]}") / 1000)")" \
			"$($PY -c "print($(median_of "${P99[$n$m]}") / 1000)")" "$(median_of "${D[$n$m]}")"
	done
done
