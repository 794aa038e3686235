#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Herds (issue 11): N never-seen registered clients knock within one
# second, one valid initiation each from a distinct source (a pcap of
# tests/lib/wginit.py herd, tcpreplay at N pps), against nginx serving one
# static JSON file per key. Measured: installs/s (first frame sent to the
# last install), the install latency p50/p99 (/wgjit/latency, log2
# buckets: upper bounds), every drop counter. Side by side in the same
# run, as the reference: a batched UAPI push of the same N peers into a
# fresh wireguard-go device (bench/uapi_load.py, batches of 1000).
#
# The gateway is sized for the herd as docs/operations.md says:
# control_plane.max_per_second = 4 N (never-seen keys get half).
#
# usage: bench/run-herd.sh [ROUNDS] [N...]   (default: 1 1000 5000 10000)
set -eu
TAG=wgjkh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-1}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 5000 10000)
bench_build app/wgjit/wgjit
bench_hugepages
bench_machine
command -v tcpreplay >/dev/null || die "tcpreplay missing (devtools/deps.txt)"
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

herd() { # N: prints "installs_per_s p50_ms p99_ms drops"
	local n=$1 t0 t1 got drops
	gw_fresh
	topo app-start --wgjit "$BUILD/app/wgjit/wgjit" --huge \
		control_plane.url="$NGINX_URL" control_plane.max_per_second=$((4 * n)) \
		cache.path="$TMP/cache.$RANDOM.sqlite" bringup.mode=initiate >/dev/null ||
		die "wgjit did not start"
	t0=$(date +%s%N)
	ip netns exec "$CL" tcpreplay -q -i "$VC" --pps="$n" "$TMP/herd$n.pcap" >/dev/null 2>&1
	while got=$(stat installs); [ "$got" -lt "$n" ]; do
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 60000 ] || break
		sleep 0.01
	done
	t1=$(date +%s%N)
	drops=0
	for c in ring_full hs_queue_full pending_dropped install_failures copy_failed \
			inbox_drops api_errors pace_full; do
		drops=$((drops + $(stat "$c")))
	done
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
		if [ $((r % 2)) = 1 ]; then
			read -r h p50 p99 d g < <(herd "$n"); u=$(push "$n")
		else
			u=$(push "$n"); read -r h p50 p99 d g < <(herd "$n")
		fi
		H[$n]+="$h "; P50[$n]+="$p50 "; P99[$n]+="$p99 "; D[$n]+="$d "; G[$n]+="$g "
		U[$n]+="$u "
		echo "round $r N=$n: herd $h installs/s (installed $g, p50 <= $p50 us, p99 <= $p99 us, drops $d), push $u peers/s" >&2
	done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "Herd of N never-seen clients in one second vs a batched UAPI push of N peers (median of $ROUNDS)"
echo "| N | installed | herd installs/s | push peers/s | herd / push | install p50 | install p99 | drops |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
	h=$(med "${H[$n]}"); u=$(med "${U[$n]}")
	printf '| %d | %s | %.0f | %.0f | %.2fx | ≤ %.1f ms | ≤ %.1f ms | %s |\n' "$n" \
		"$(med "${G[$n]}")" "$h" "$u" "$($PY -c "print($h / $u)")" \
		"$($PY -c "print($(med "${P50[$n]}") / 1000)")" \
		"$($PY -c "print($(med "${P99[$n]}") / 1000)")" "$(med "${D[$n]}")"
done
