#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Push vs JIT restart. Push: a fresh wireguard-go device (the gateway
# device of tests/lib/topo.py, no static peer) gets N peers over UAPI in
# set=1 batches of
# 1000, as a push gateway must after a restart (wireguard-go precomputes
# one static-static X25519 per peer); timed to the last errno=0.
# JIT: wgjit start with an empty device until it answers telemetry (EAL
# init, hugepages, device reconcile, control-plane client, cache) with
# net_null ports (nothing to wait for on a link). ROUNDS rounds each.
#
# usage: bench/run-push.sh [ROUNDS] [N...]   (default: 3 10000 50000 100000)
set -eu
TAG=wgjkp
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 50000 100000)
bench_build app/wgjit/wgjit
bench_hugepages
bench_machine
gw_start() { topo gateway --no-static; }
gw_stop() { topo gateway-stop; }
gw_start
topo cp-start
topo conf "$TMP/wgjit.conf" tap.port=1	# exception path: net_null
jit_restart() {
	local pre=${P}_$RANDOM t0 t1 pid cmd
	bench_argv cmd --wgjit "$BUILD/app/wgjit/wgjit" --huge --file-prefix "$pre" \
		--vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1
	t0=$(date +%s%N)
	ip netns exec "$GW" "${cmd[@]}" > "$TMP/app.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	until $PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /wgjit/stats >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null || { tail "$TMP/app.log" >&2; die "wgjit exited"; }
		sleep 0.01
	done
	t1=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$(( (t1 - t0) / 1000000 ))"
}

declare -A PUSH RSS FAILED
JIT=()
for r in $(seq "$ROUNDS"); do
	JIT+=("$(jit_restart)")
	for n in "${SIZES[@]}"; do
		gw_stop
		gw_start
		t=$(gw $PY "$ROOT/bench/uapi_load.py" push "$WGG" "$n" 2>"$TMP/push.err" | awk '{print $2}')
		c=$($PY "$ROOT/bench/uapi_load.py" count "$WGG")
		if [ "$c" != "$n" ]; then
			# wireguard-go refuses peers beyond its MaxPeers (65536).
			FAILED[$n]="fails at $c peers: $(cat "$TMP/push.err")"
			t=nan
		fi
		PUSH[$n]+="$t "
		RSS[$n]=$(awk '/VmRSS/ {print $2}' "/proc/$(topo pid "wg.$WGG")/status")
		echo "round $r: push $n peers in $t s (RSS ${RSS[$n]} kB), JIT restart ${JIT[-1]} ms" >&2
	done
	gw_stop
	gw_start	# empty again for the next JIT restart
done
echo
echo "Restart: push N peers into wireguard-go vs wgjit start (median of $ROUNDS rounds)"
echo "| N peers | push (UAPI, batches of 1000) | wireguard-go RSS after | wgjit restart, empty device | push / JIT |"
echo "|---:|---:|---:|---:|---:|"
jit=$(printf '%s\n' "${JIT[@]}" | median)
for n in "${SIZES[@]}"; do
	if [ -n "${FAILED[$n]:-}" ]; then
		printf '| %d | %s | %d MiB | %d ms | - |\n' "$n" "${FAILED[$n]}" \
			$(( ${RSS[$n]} / 1024 )) "$jit"
		continue
	fi
	p=$(echo "${PUSH[$n]}" | tr ' ' '\n' | grep . | median)
	printf '| %d | %.2f s | %d MiB | %d ms | %.0fx |\n' "$n" "$p" \
		$(( ${RSS[$n]} / 1024 )) "$jit" "$(echo "$p * 1000 / $jit" | bc -l)"
done
