#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Push vs JIT restart. Push: a fresh wireguard-go device (private key
# set, up, in its own netns) gets N peers over UAPI in set=1 batches of
# 1000, as a push gateway must after a restart (wireguard-go precomputes
# one static-static X25519 per peer); timed to the last errno=0.
# JIT: wgjit start with an empty device until it answers telemetry (EAL
# init, hugepages, device reconcile, control-plane client, cache) with
# net_null ports (nothing to wait for on a link). ROUNDS rounds each.
#
# usage: bench/run-push.sh [ROUNDS] [N...]   (default: 3 10000 50000 100000)
set -eu
P=wgjkp$$
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 50000 100000)
NS=${P}n
bench_build app/wgjit/wgjit
bench_hugepages
bench_machine
umask 077
BENCH_NETNS+=("$NS")
ip netns add "$NS"
wg genkey > "$TMP/gw.key"
echo "[]" > /dev/null
gw_start() { # IFNAME
	ip netns exec "$NS" wireguard-go -f "$1" > "$TMP/$1.log" 2>&1 &
	WG_PID=$!
	BENCH_PIDS+=("$WG_PID")
	wait_for 50 test -S "/var/run/wireguard/$1.sock" || die "wireguard-go $1"
	ip netns exec "$NS" wg set "$1" private-key "$TMP/gw.key" listen-port 51820
	ip -n "$NS" link set "$1" up
}
gw_stop() { kill -TERM "$WG_PID"; wait "$WG_PID" 2>/dev/null || true; }

gw_start "${P}J"
ip -n "$NS" link set lo up
ip netns exec "$NS" $PY "$ROOT/devtools/wgjit-cp.py" serve --db "$TMP/cp.db" \
	--listen 127.0.0.1:0 --port-file "$TMP/cp.port" 2>/dev/null &
BENCH_PIDS+=($!)
wait_for 50 test -s "$TMP/cp.port" || die "control plane did not start"
cat > "$TMP/wgjit.conf" <<CONF
[wireguard]
interface = ${P}J
backend = uapi
[tap]
port = 1
[control_plane]
url = http://127.0.0.1:$(cat "$TMP/cp.port")
[cache]
path = $TMP/cache.sqlite
CONF
jit_restart() {
	local pre=${P}_$RANDOM t0 t1 pid
	t0=$(date +%s%N)
	ip netns exec "$NS" "$BUILD/app/wgjit/wgjit" -l 0,1 --no-pci --in-memory \
		--file-prefix "$pre" --vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1 \
		-- --config "$TMP/wgjit.conf" > "$TMP/app.log" 2>&1 &
	pid=$!
	BENCH_PIDS+=("$pid")
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
		gw_start "${P}J"
		t=$(ip netns exec "$NS" $PY "$ROOT/bench/uapi_load.py" push "${P}J" "$n" 2>"$TMP/push.err" | awk '{print $2}')
		c=$($PY "$ROOT/bench/uapi_load.py" count "${P}J")
		if [ "$c" != "$n" ]; then
			# wireguard-go refuses peers beyond its MaxPeers (65536).
			FAILED[$n]="fails at $c peers: $(cat "$TMP/push.err")"
			t=nan
		fi
		PUSH[$n]+="$t "
		RSS[$n]=$(awk '/VmRSS/ {print $2}' "/proc/$WG_PID/status")
		echo "round $r: push $n peers in $t s (RSS ${RSS[$n]} kB), JIT restart ${JIT[-1]} ms" >&2
	done
	gw_stop
	gw_start "${P}J"	# empty again for the next JIT restart
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
