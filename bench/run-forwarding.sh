#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Forwarding: wgjit vs dpdk-testpmd --forward-mode=io, same vdevs, same
# lcores (-l 0,1: main lcore 0, one forwarding lcore 1), same pool size.
# Uplink: net_pcap replaying a mixed-traffic pcap in a loop
# (rx_pcap=...,infinite_rx=1); exception port: net_null (no-rx=1), given
# to wgjit with tap.port = 1. Both are read the same way: /ethdev/stats,1
# opackets over SECONDS through each app's telemetry socket.
#
# Rows: data only; data + 0.1 % initiations (default per-source rate
# limit); the same with the rate limit off (every initiation costs a DH);
# data + 1 % mac1-valid flood from random sources (issue 10: the gateway
# goes under load and answers the flood with cookie replies, out of port
# 0; the data rate on port 1 is compared with data alone); the same flood
# with random mac2s, which cost the whole mac2 check instead of a compare
# with zero; the first flood with the per-source limits off, so that every
# flood frame gets its cookie reply (a flood from ever-changing sources,
# as tcpreplay sends in dts/test_06_flood.py: the pcap here repeats ten),
# and the same at one frame in 300 (~50,000/s, the rate issue 10 reports).
# ROUNDS rounds, apps interleaved (order alternates), median and best.
# FLOOD_ONLY=1: only wgjit, only data alone and the four floods, the rows
# in turn forward and backward (data, flood, flood2, flood2, flood, data,
# ...) so that each flood run sits next to a data run: on a shared
# machine the rate drifts by more than the flood costs, and only the
# per-round ratios of neighbours cancel that.
#
# HS_LCORE=1: wgjit gets a handshake lcore (handshake.lcores = 2) on the
# main lcore's core (--lcores 0@0,1@1,2@0), in every wgjit run: under
# load the gate and the cookie replies leave the forwarding lcore
# (docs/architecture.md, step 7b).
#
# usage: [FLOOD_ONLY=1] [HS_LCORE=1] bench/run-forwarding.sh [ROUNDS] [SECONDS]
set -eu
TAG=wgjkf
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-5}
SECS=${2:-3}

bench_build app/wgjit/wgjit
bench_hugepages
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (apt-get install dpdk)"
bench_machine

$PY "$ROOT/bench/gen_pcap.py" mixed --responder-pub "$GW_PUB" --count 1000 \
	--out "$TMP/data.pcap"
$PY "$ROOT/bench/gen_pcap.py" mixed --responder-pub "$GW_PUB" --count 1000 \
	--init-every 1000 --out "$TMP/init.pcap"
$PY "$ROOT/bench/gen_pcap.py" mixed --responder-pub "$GW_PUB" --count 1000 \
	--flood-every 100 --out "$TMP/flood.pcap"
$PY "$ROOT/bench/gen_pcap.py" mixed --responder-pub "$GW_PUB" --count 1000 \
	--flood-every 100 --flood-mac2 random --out "$TMP/flood2.pcap"
$PY "$ROOT/bench/gen_pcap.py" mixed --responder-pub "$GW_PUB" --count 1200 \
	--flood-every 300 --out "$TMP/flood300.pcap"

NB_MBUFS=8191	# what wgjit's pool holds for one worker

# Start APP on PCAP, wait for telemetry, print the opackets rate of port 1.
# Both apps get the same EAL options (topo.py argv).
measure() { # testpmd|wgjit PCAP RATE
	local pre=${P}_$1_$RANDOM pid r cmd
	local eal=(--huge --file-prefix "$pre" --vdev "net_pcap0,rx_pcap=$2,infinite_rx=1"
		--vdev net_null0,no-rx=1)
	if [ "$1" = testpmd ]; then
		# stdin: a FIFO opened read-write, never written: testpmd
		# waits for a line that does not come and stops on SIGTERM.
		[ -p "$TMP/stdin" ] || mkfifo "$TMP/stdin"
		bench_argv cmd --eal "${eal[@]}"
		dpdk-testpmd "${cmd[@]}" -- --forward-mode=io \
			--total-num-mbufs=$NB_MBUFS --auto-start \
			<>"$TMP/stdin" > "$TMP/$1.log" 2>&1 &
	else
		if [ "${HS_LCORE:-0}" = 1 ]; then
			bench_conf "$3" 5 handshake.lcores=2
			bench_argv cmd --wgjit "$BUILD/app/wgjit/wgjit" \
				--lcores 0@0,1@1,2@0 "${eal[@]}"
		else
			bench_conf "$3" 5
			bench_argv cmd --wgjit "$BUILD/app/wgjit/wgjit" "${eal[@]}"
		fi
		"${cmd[@]}" > "$TMP/$1.log" 2>&1 &
	fi
	pid=$!
	PIDS+=("$pid")
	wait_for 100 $PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /ethdev/stats,1 ||
		{ tail "$TMP/$1.log" >&2; die "$1 did not start"; }
	sleep 0.5	# past the start-up transient
	r=$($PY "$ROOT/bench/rate.py" "$pre" "$SECS" /ethdev/stats,1:opackets |
		awk '{print $2}')
	if [ "$1" = wgjit ]; then
		$PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /wgjit/stats --flat \
			> "$TMP/wgjit_stats.$3.$(basename "$2")"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "$r"
}

ROWS=("data only|data.pcap|20" "data + 0.1% initiations (rate limit 20/s)|init.pcap|20"
	"data + 0.1% initiations (no rate limit)|init.pcap|1000000"
	"data + 1% mac1-valid flood (cookies)|flood.pcap|20"
	"data + 1% flood, random mac2 (cookies)|flood2.pcap|20"
	"data + 1% flood, a cookie reply each|flood.pcap|1000000"
	"data + 1/300 flood, a cookie reply each|flood300.pcap|1000000")
FLOODS=("${ROWS[3]}" "${ROWS[4]}" "${ROWS[5]}" "${ROWS[6]}")
declare -A EVERY=([flood.pcap]=100 [flood2.pcap]=100 [flood300.pcap]=300)
APPS=(testpmd wgjit)
if [ "${FLOOD_ONLY:-0}" = 1 ]; then
	ROWS=("${ROWS[0]}" "${FLOODS[@]}")
	APPS=(wgjit)
fi
declare -A RES
for r in $(seq "$ROUNDS"); do
	rows=("${ROWS[@]}")
	if [ "${FLOOD_ONLY:-0}" = 1 ] && [ $((r % 2)) -eq 0 ]; then
		rows=()
		for row in "${ROWS[@]}"; do rows=("$row" "${rows[@]}"); done
	fi
	for row in "${rows[@]}"; do
		IFS='|' read -r name pcap rate <<<"$row"
		order=()
		for app in "${APPS[@]}"; do
			if [ $((r % 2)) -eq 1 ]; then order+=("$app"); else order=("$app" "${order[@]}"); fi
		done
		for app in "${order[@]}"; do
			v=$(measure "$app" "$TMP/$pcap" "$rate")
			RES["$name|$app"]+="$v "
		done
		echo "round $r: $name: testpmd $(echo "${RES["$name|testpmd"]:-}" | awk '{print $NF}') wgjit $(echo "${RES["$name|wgjit"]}" | awk '{print $NF}') pps" >&2
	done
done

if [ "${FLOOD_ONLY:-0}" != 1 ]; then
echo
echo "Forwarding, Mpps on one forwarding lcore (median of $ROUNDS interleaved rounds of ${SECS} s; best in brackets)"
printf '| %-44s | %-16s | %-16s | %-14s |\n' "traffic" "testpmd io" "wgjit" "wgjit/testpmd"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..18})" "$(printf -- '-%.0s' {1..18})" "$(printf -- '-%.0s' {1..16})"
for row in "${ROWS[@]}"; do
	IFS='|' read -r name pcap rate <<<"$row"
	tm=$(echo "${RES["$name|testpmd"]}" | tr ' ' '\n' | grep . | median)
	tb=$(echo "${RES["$name|testpmd"]}" | tr ' ' '\n' | grep . | sort -g | tail -1)
	wm=$(echo "${RES["$name|wgjit"]}" | tr ' ' '\n' | grep . | median)
	wb=$(echo "${RES["$name|wgjit"]}" | tr ' ' '\n' | grep . | sort -g | tail -1)
	# Ratio of medians, and the median of per-round ratios.
	rr=$(paste <(echo "${RES["$name|wgjit"]}" | tr ' ' '\n' | grep .) \
		<(echo "${RES["$name|testpmd"]}" | tr ' ' '\n' | grep .) |
		awk '{print $1/$2}' | median)
	printf '| %-44s | %6.2f (%6.2f) | %6.2f (%6.2f) | %5.3fx         |\n' "$name" \
		"$(echo "$tm / 1000000" | bc -l)" "$(echo "$tb / 1000000" | bc -l)" \
		"$(echo "$wm / 1000000" | bc -l)" "$(echo "$wb / 1000000" | bc -l)" "$rr"
done
fi
# The flood's cost to data: data frames per second on port 1 with the
# flood (99 % of the frames are data) against data alone, per round.
echo
for fl in "${FLOODS[@]}"; do
	IFS='|' read -r name pcap rate <<<"$fl"
	# The share of data among the frames: 99 % at one flood frame in 100.
	share=$(awk -v n="${EVERY[$pcap]}" 'BEGIN { print 1 - 1 / n }')
	fr=$(paste <(echo "${RES["$name|wgjit"]}" | tr ' ' '\n' | grep .) \
		<(echo "${RES["data only|wgjit"]}" | tr ' ' '\n' | grep .) |
		awk -v s="$share" '{print $1 / ($2 * s)}' | median)
	printf 'wgjit: data forwarded during "%s" / data alone (same frames of data): %.3fx\n' "$name" "$fr"
	echo "  per round: $(paste <(echo "${RES["$name|wgjit"]}" | tr ' ' '\n' | grep .) \
		<(echo "${RES["data only|wgjit"]}" | tr ' ' '\n' | grep .) |
		awk -v s="$share" '{printf "%.3f ", $1 / ($2 * s)}')"
	f=$TMP/wgjit_stats.$rate.$pcap
	echo "  counters: $(grep -E '^(initiations|mac2_invalid|cookies_sent|cookie_limited|hs_queued|hs_checked|hs_bounced|hs_gated|hs_queue_full|under_load_us)=' "$f" | tr '\n' ' ')"
done
[ "${FLOOD_ONLY:-0}" = 1 ] && exit 0
echo
echo "wgjit counters of the last round (identify path):"
for f in "$TMP"/wgjit_stats.*init.pcap; do
	echo "  $(basename "$f" | sed 's/wgjit_stats\.\([0-9]*\)\..*/per_source_rate=\1/'): $(grep -E '^(initiations|identified|replays|ratelimited|over_budget)=' "$f" | tr '\n' ' ')"
done
