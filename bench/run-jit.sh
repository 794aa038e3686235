#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The JIT path through the whole app with real parts (the topology of
# tests/lib/topo.py, no static peer): netns CL holds SLOTS wireguard-go client
# interfaces; netns GW holds wgjit (af_packet uplink, TAP), the
# wireguard-go gateway (UAPI backend), the reference control plane and a
# second, never-used wireguard-go device that plays the push gateway.
#
# A "job" is a never-seen client: a fresh key registered with the control
# plane, put on a free slot interface with a fresh listen port (a new
# source), then a ping through the tunnel.
#
#  ttfh   time to first handshake: the first tunnel ping's own round trip
#         as ping measures it (from its send, which starts the client's
#         handshake, to the reply: handshake + one tunnel RTT), N samples
#         per bring-up mode; mode none runs SLOTS jobs at once. The
#         control plane is nginx serving one static JSON file per key
#         (CP=python: the reference control plane instead).
#  cpload control-plane requests per new peer while the API is slow
#         (fault mode slow, DELAY s): the clients retry every 5 s.
#  churn  CI-like jobs arriving and leaving for CHURN_SECS; peer count of
#         the wgjit device and of the push device (every registered client
#         added, never removed) sampled every 0.5 s, drawn with gnuplot.
#
# usage: bench/run-jit.sh [ttfh|cpload|churn|all]
#        (env: N, SLOTS, CHURN_SECS, DELAY, CP=nginx|python)
set -eu
TAG=wgjk
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WHAT=${1:-all}
N=${N:-100}
SLOTS=${SLOTS:-10}
CHURN_SECS=${CHURN_SECS:-90}
DELAY=${DELAY:-12}
CP=${CP:-nginx}
OUT_PNG=${OUT_PNG:-$ROOT/docs/img/churn.png}

bench_build app/wgjit/wgjit
bench_hugepages
bench_machine

topo_up --no-static
# The push gateway: the same key, never up, never asked.
eval "$(topo wg gw push)"
WGP=$IF_push
gw wg set "$WGP" private-key "$GW_KEY" listen-port $((GW_PORT + 1))
for s in $(seq "$SLOTS"); do client "k$s" "$s"; done

start_app() { # MODE IDLE TIMEOUT_MS [CP_URL]
	stop_app
	topo app-start --wgjit "$BUILD/app/wgjit/wgjit" --huge bringup.mode="$1" \
		evict.idle_timeout="$2" evict.grace="$2" evict.interval=1 \
		control_plane.timeout_ms="$3" cache.path="$TMP/cache.$RANDOM.sqlite" \
		${4:+control_plane.url=$4} ||
		die "wgjit did not start"
	APP=1
}
APP=
stop_app() {
	local k
	[ -n "$APP" ] || return 0
	topo app-stop >/dev/null || true
	APP=
	# Keep the device, drop the peers the run installed.
	for k in $(gw wg show "$WGG" peers); do gw wg set "$WGG" peer "$k" remove; done
}

JOB_SEQ=100000	# above the churn's per-slot numbers
# New client on slot S: key, registration, interface; prints its number.
job_setup() { # SLOT
	local n
	JOB_SEQ=$((JOB_SEQ + 1))
	n=$JOB_SEQ
	wg genkey > "$TMP/j$n.key"
	cl ip link set "$(cvar IF "k$1")" down
	client_key "k$1" --key "$TMP/j$n.key" --port $((10000 + n % 50000))
	topo cp-add --client "k$1"
	[ -z "${NGINX_URL:-}" ] ||
		topo nginx-add --key "$(cvar PUB "k$1")" --net "$(cvar ADDR "k$1")/32"
	# The push gateway holds every registered client, for good.
	gw wg set "$WGP" peer "$(cvar PUB "k$1")" allowed-ips "10.$((98 + n / 62500)).$((n / 250 % 250)).$((n % 250 + 1))/32"
	echo "$n"
}
# Bring the slot up and print the first tunnel ping's round trip in ms
# (ping's own figure: from its send, which starts the handshake) or "fail".
job_ping() { # SLOT WAIT_S
	local out
	cl ip link set "$(cvar IF "k$1")" up
	if out=$(cl ping -n -c 1 -W "$2" -I "$(cvar IF "k$1")" "$TUN_GW" 2>&1); then
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | head -1
	else
		echo fail
	fi
}

ttfh() {
	local mode s r url=
	: > "$TMP/ttfh.txt"
	if [ "$CP" = nginx ]; then
		eval "$(topo nginx-start)"
		url=$NGINX_URL
	fi
	for mode in initiate reinject none; do
		start_app "$mode" 600 2000 "$url"
		: > "$TMP/ttfh.$mode"
		if [ "$mode" = none ]; then
			r=0
			while [ "$r" -lt "$N" ]; do
				for s in $(seq "$SLOTS"); do job_setup "$s" >/dev/null; done
				for s in $(seq "$SLOTS"); do
					job_ping "$s" 12 >> "$TMP/ttfh.$mode" &
				done
				wait_jobs
				r=$((r + SLOTS))
			done
		else
			for r in $(seq "$N"); do
				s=$(( (r - 1) % SLOTS + 1 ))
				job_setup "$s" >/dev/null
				job_ping "$s" 12 >> "$TMP/ttfh.$mode"
			done
		fi
		echo "ttfh $mode: $(grep -c . "$TMP/ttfh.$mode") samples, $(grep -c fail "$TMP/ttfh.$mode" || true) failed; api_requests=$(stat_of api_requests) installs=$(stat_of installs)" >&2
	done
	stop_app
	echo
	echo "Time to first handshake of a never-seen client (the first tunnel ping's round trip), ms; control plane: $CP"
	echo "| bring-up mode | samples | failed | p50 | p99 | max |"
	echo "|---|---:|---:|---:|---:|---:|"
	for mode in initiate reinject none; do
		grep -v fail "$TMP/ttfh.$mode" > "$TMP/ok" || true
		printf '| %s | %d | %d | %.1f | %.1f | %.1f |\n' "$mode" \
			"$(grep -c . "$TMP/ttfh.$mode")" \
			"$(grep -c fail "$TMP/ttfh.$mode" || true)" \
			"$(percentile 50 < "$TMP/ok")" \
			"$(percentile 99 < "$TMP/ok")" \
			"$(sort -g "$TMP/ok" | tail -1)"
	done
}
# Wait for this shell's background ping jobs (not the long-running ones).
wait_jobs() { for j in $(jobs -rp); do case " ${PIDS[*]} " in *" $j "*) ;; *) wait "$j" || true ;; esac; done; }

cpload() {
	local s k inits
	start_app initiate 600 30000
	rm -f "$TMP"/ping.*
	topo cp POST /admin/fault "{\"mode\": \"slow\", \"delay\": $DELAY}" >/dev/null
	topo cp POST /admin/reset >/dev/null
	for s in $(seq "$SLOTS"); do job_setup "$s" >/dev/null; done
	for s in $(seq "$SLOTS"); do job_ping "$s" $((DELAY + 8)) > "$TMP/ping.$s" & done
	wait_jobs
	topo cp POST /admin/fault '{"mode": "none"}' >/dev/null
	inits=$(stat_of initiations)
	k=$(topo cp GET /admin/stats | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["requests"], len(d["per_key"]))')
	stop_app
	echo
	echo "Control-plane load: $SLOTS never-seen clients at once, API answering after $DELAY s (timeout 30 s), clients retry every 5 s"
	echo "| measure | value |"
	echo "|---|---:|"
	echo "| clients (keys) | $SLOTS |"
	echo "| clients through on the first ping | $(cat "$TMP"/ping.* | grep -vc fail) |"
	echo "| initiations seen by wgjit | $inits |"
	echo "| naive: one API request per initiation | $inits |"
	echo "| wgjit: API requests (control plane's count) | ${k% *} |"
	echo "| distinct keys asked | ${k#* } |"
	printf '| requests per new peer | %.2f (naive %.2f) |\n' \
		"$(echo "${k% *} / $SLOTS" | bc -l)" "$(echo "$inits / $SLOTS" | bc -l)"
}

churn() {
	local t0 end s
	start_app initiate 5 2000
	for k in $(gw wg show "$WGP" peers); do gw wg set "$WGP" peer "$k" remove; done
	t0=$(date +%s.%N)
	end=$(($(date +%s) + CHURN_SECS))
	# Each slot: a job every few seconds; a job handshakes, pings for
	# 1-3 s and leaves (shorter than idle_timeout = 5 s, so eviction
	# after the last handshake is eviction after the last packet).
	for s in $(seq "$SLOTS"); do
		(
			RANDOM=$((s * 7919))
			c=0
			while [ "$(date +%s)" -lt "$end" ]; do
				sleep "$((RANDOM % 6)).$((RANDOM % 10))"
				c=$((c + 1))
				# Subshell: number the jobs per slot.
				JOB_SEQ=$((s * 1000 + c))
				job_setup "$s" >/dev/null 2>&1 || continue
				cl ip link set "$(cvar IF "k$s")" up
				cl ping -c $((2 + RANDOM % 5)) -i 0.5 -W 4 -I "$(cvar IF "k$s")" "$TUN_GW" >/dev/null 2>&1 || true
				cl ip link set "$(cvar IF "k$s")" down
			done
		) &
	done
	: > "$TMP/churn.dat"
	while [ "$(date +%s)" -lt $((end + 15)) ]; do
		printf '%.1f %d %d\n' "$(echo "$(date +%s.%N) - $t0" | bc -l)" \
			"$(gw wg show "$WGP" peers | grep -c .)" \
			"$(gw wg show "$WGG" peers | grep -c .)" >> "$TMP/churn.dat"
		sleep 0.5
	done
	wait_jobs
	echo "churn: jobs $(gw wg show "$WGP" peers | grep -c .), api_requests=$(stat_of api_requests) installs=$(stat_of installs) evictions=$(stat_of evictions)" >&2
	stop_app
	mkdir -p "$(dirname "$OUT_PNG")"
	gnuplot <<GP
set terminal pngcairo size 900,480 font "DejaVu Sans,11"
set output "$OUT_PNG"
set title "Peers in the WireGuard device: CI-like clients arriving and leaving"
set xlabel "time (s)"
set ylabel "peers in device"
set key top left
set grid
plot "$TMP/churn.dat" using 1:2 with lines lw 2 title "push (every registered client, never evicted)", \
     "$TMP/churn.dat" using 1:3 with lines lw 2 title "wgjit (installed on first initiation, idle eviction 5 s)"
GP
	cp "$TMP/churn.dat" "${OUT_PNG%.png}.dat"
	chmod 755 "$(dirname "$OUT_PNG")"
	chmod 644 "$OUT_PNG" "${OUT_PNG%.png}.dat"
	echo
	echo "Churn: $CHURN_SECS s, $SLOTS slots; peers at the end: push $(tail -1 "$TMP/churn.dat" | awk '{print $2}'), wgjit $(tail -1 "$TMP/churn.dat" | awk '{print $3}'); max wgjit $(awk 'BEGIN{m=0} $3>m{m=$3} END{print m}' "$TMP/churn.dat"); chart $OUT_PNG"
}

case $WHAT in
ttfh) ttfh ;;
cpload) cpload ;;
churn) churn ;;
all) ttfh; cpload; churn ;;
*) die "usage: $0 [ttfh|cpload|churn|all]" ;;
esac
