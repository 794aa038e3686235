#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The JIT path through the whole app with real parts (topology as in
# tests/app/jit_e2e.sh): netns CL holds SLOTS wireguard-go client
# interfaces; netns GW holds wgjit (af_packet uplink, TAP), the
# wireguard-go gateway (UAPI backend), the reference control plane and a
# second, never-used wireguard-go device that plays the push gateway.
#
# A "job" is a never-seen client: a fresh key registered with the control
# plane, put on a free slot interface with a fresh listen port (a new
# source), then a ping through the tunnel.
#
#  ttfh   time to first handshake: from the job's first packet to the
#         first tunnel ping reply (handshake + one tunnel RTT), N samples
#         per bring-up mode; mode none runs SLOTS jobs at once.
#  cpload control-plane requests per new peer while the API is slow
#         (fault mode slow, DELAY s): the clients retry every 5 s.
#  churn  CI-like jobs arriving and leaving for CHURN_SECS; peer count of
#         the wgjit device and of the push device (every registered client
#         added, never removed) sampled every 0.5 s, drawn with gnuplot.
#
# usage: bench/run-jit.sh [ttfh|cpload|churn|all] (env: N, SLOTS, CHURN_SECS, DELAY)
set -eu
P=wgjk$$
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WHAT=${1:-all}
N=${N:-100}
SLOTS=${SLOTS:-10}
CHURN_SECS=${CHURN_SECS:-90}
DELAY=${DELAY:-12}
OUT_PNG=${OUT_PNG:-$ROOT/docs/img/churn.png}
GW=${P}g CL=${P}c VG=${P}u VC=${P}v TAP=${P}t WGG=${P}G WGP=${P}P
TEL=$ROOT/tests/app/wgjit_tel.py
CP=$ROOT/devtools/wgjit-cp.py
APP_PID=

bench_build app/wgjit/wgjit
bench_hugepages
bench_machine
gw() { ip netns exec "$GW" "$@"; }
cl() { ip netns exec "$CL" "$@"; }

BENCH_NETNS+=("$GW" "$CL")
wire_up
umask 077
start_wg() { # NS IFNAME
	ip netns exec "$1" wireguard-go -f "$2" >"$TMP/$2.log" 2>&1 &
	BENCH_PIDS+=($!)
	wait_for 50 test -S "/var/run/wireguard/$2.sock" || die "wireguard-go $2"
}
wg genkey > "$TMP/gw.key"
GW_PUB=$(wg pubkey < "$TMP/gw.key")
start_wg "$GW" "$WGG"
gw wg set "$WGG" private-key "$TMP/gw.key" listen-port 51820
gw ip addr add 10.99.0.1/16 dev "$WGG"
gw ip link set "$WGG" up
start_wg "$GW" "$WGP"
gw wg set "$WGP" private-key "$TMP/gw.key" listen-port 51821
for s in $(seq "$SLOTS"); do start_wg "$CL" "${P}k$s"; done

gw $PY "$CP" serve --db "$TMP/cp.db" --listen 127.0.0.1:0 \
	--port-file "$TMP/cp.port" 2>"$TMP/cp.log" &
BENCH_PIDS+=($!)
wait_for 50 test -s "$TMP/cp.port" || die "control plane did not start"
CP_URL=http://127.0.0.1:$(cat "$TMP/cp.port")
cp_admin() { # METHOD PATH [JSON]
	gw curl -s -X "$1" "$CP_URL$2" ${3:+-H 'Content-Type: application/json' -d "$3"}
}

start_app() { # MODE IDLE TIMEOUT_MS
	stop_app
	cat > "$TMP/wgjit.conf" <<CONF
[wireguard]
interface = $WGG
backend = uapi
[tap]
name = $TAP
[control_plane]
url = $CP_URL
timeout_ms = $3
[cache]
path = $TMP/cache.$RANDOM.sqlite
[bringup]
mode = $1
[evict]
idle_timeout = $2
grace = $2
interval = 1
CONF
	ip netns exec "$GW" "$BUILD/app/wgjit/wgjit" -l 0,1 --no-pci --in-memory \
		--file-prefix "$P" --vdev "net_af_packet0,iface=$VG" \
		-- --config "$TMP/wgjit.conf" > "$TMP/app.log" 2>&1 &
	APP_PID=$!
	BENCH_PIDS+=("$APP_PID")
	wait_for 100 gw ip link show "$TAP" || die "TAP did not appear"
	wait_for 100 $PY "$TEL" "$P" /wgjit/stats || die "no telemetry"
	gw ip addr add 10.77.0.1/24 dev "$TAP"
	gw ip link set "$TAP" up
	cl ping -c 1 -W 2 10.77.0.1 >/dev/null || die "underlay ping"
}
stop_app() {
	local k
	[ -n "$APP_PID" ] || return 0
	kill -TERM "$APP_PID" 2>/dev/null || true
	wait "$APP_PID" 2>/dev/null || true
	APP_PID=
	# Keep the device, drop the peers the run installed.
	for k in $(gw wg show "$WGG" peers); do gw wg set "$WGG" peer "$k" remove; done
}
stat_of() { $PY "$TEL" "$P" /wgjit/stats --flat | sed -n "s/^$1=//p"; }

JOB_SEQ=100000	# above the churn's per-slot numbers
# New client on slot S: key, registration, interface; prints its pub key.
job_setup() { # SLOT
	local ifn=${P}k$1 n
	JOB_SEQ=$((JOB_SEQ + 1))
	n=$JOB_SEQ
	wg genkey > "$TMP/j$n.key"
	wg pubkey < "$TMP/j$n.key" > "$TMP/j$n.pub"
	$PY "$CP" add --db "$TMP/cp.db" --public-key "$(cat "$TMP/j$n.pub")" \
		--allowed-ips "10.99.1.$1/32" >/dev/null
	# The push gateway holds every registered client, for good.
	gw wg set "$WGP" peer "$(cat "$TMP/j$n.pub")" allowed-ips "10.$((98 + n / 62500)).$((n / 250 % 250)).$((n % 250 + 1))/32"
	cl ip link set "$ifn" down
	cl ip addr flush dev "$ifn"
	for k in $(cl wg show "$ifn" peers); do cl wg set "$ifn" peer "$k" remove; done
	cl wg set "$ifn" private-key "$TMP/j$n.key" listen-port $((10000 + n % 50000)) \
		peer "$GW_PUB" endpoint 10.77.0.1:51820 allowed-ips 10.99.0.1/32
	cl ip addr add "10.99.1.$1/32" dev "$ifn"
	echo "$n"
}
# Bring the slot up and time the first tunnel ping (ms) or print "fail".
job_ping() { # SLOT WAIT_S
	local t0 ms
	cl ip link set "${P}k$1" up
	t0=$(date +%s%N)
	if cl ping -c 1 -W "$2" -I "${P}k$1" 10.99.0.1 >/dev/null 2>&1; then
		ms=$((($(date +%s%N) - t0) / 1000))
		echo "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	else
		echo fail
	fi
}

ttfh() {
	local mode s r
	: > "$TMP/ttfh.txt"
	for mode in initiate reinject none; do
		start_app "$mode" 600 2000
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
	echo "Time to first handshake of a never-seen client (first tunnel ping reply), ms"
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
wait_jobs() { for j in $(jobs -rp); do case " ${BENCH_PIDS[*]} " in *" $j "*) ;; *) wait "$j" || true ;; esac; done; }

cpload() {
	local s k inits
	start_app initiate 600 30000
	rm -f "$TMP"/ping.*
	cp_admin POST /admin/fault "{\"mode\": \"slow\", \"delay\": $DELAY}" >/dev/null
	cp_admin POST /admin/reset >/dev/null
	for s in $(seq "$SLOTS"); do job_setup "$s" >/dev/null; done
	for s in $(seq "$SLOTS"); do job_ping "$s" $((DELAY + 8)) > "$TMP/ping.$s" & done
	wait_jobs
	cp_admin POST /admin/fault '{"mode": "none"}' >/dev/null
	inits=$(stat_of initiations)
	k=$(cp_admin GET /admin/stats | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["requests"], len(d["per_key"]))')
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
				cl ip link set "${P}k$s" up
				cl ping -c $((2 + RANDOM % 5)) -i 0.5 -W 4 -I "${P}k$s" 10.99.0.1 >/dev/null 2>&1 || true
				cl ip link set "${P}k$s" down
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
