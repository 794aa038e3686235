#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Identify rate through the whole app vs raw X25519 on the same core.
#
# net_pcap replays (infinite_rx) a pcap of COUNT initiations, each from a
# distinct peer with a fresh ephemeral and a distinct source address;
# per-source rate limit raised so that every initiation is admitted; the
# exception port is net_null (tap.port). Checked initiations per second
# = the rate of identified + replays + other verdicts in /wgjit/stats
# (after the first pass every message is a replay: the same DH work, then
# the timestamp check says no). Interleaved in each round, all pinned to
# CPU 1: bench_identify (raw crypto_scalarmult, identify), wgjit with one
# worker (-l 0,1), wgjit with two workers (--lcores 0@0,1@1,2@0: with two
# cores the second worker shares CPU 0 with the control lcore; net_pcap
# has one queue, so worker 0 receives and spreads copies to worker 1).
#
# Cookie replies (issue 10): the same lcore replaying a flood of 65536
# mac1-valid garbage initiations from distinct spoofed sources: the
# handshake queue fills, the gateway goes under load and answers each
# with a cookie reply instead of a DH. Replies per second = the rate of
# cookies_sent (handshake.cookie_rate raised so it does not cap).
#
# usage: bench/run-identify.sh [ROUNDS] [SECONDS] [COUNT]
set -eu
TAG=wgjki
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
SECS=${2:-3}
COUNT=${3:-2000}

bench_build app/wgjit/wgjit bench/bench_identify
bench_hugepages
bench_machine

$PY "$ROOT/bench/gen_pcap.py" inits --responder-pub "$GW_PUB" \
	--count "$COUNT" --out "$TMP/inits.pcap"
$PY "$ROOT/tests/lib/wginit.py" flood --responder-pub "$GW_PUB" \
	--out "$TMP/flood.pcap" --count 65536 --src-net 10.200.0.0/14 \
	--dst "10.0.0.1:$GW_PORT"
bench_conf 1000000 1000000

VERDICTS=identified+replays+bad_static+forged+bad_mac1+malformed
wgjit_rate() { # [LCORES-MAP] (default: -l 0,1) [PCAP] [COUNTERS]
	local pre=${P}_$RANDOM pid r cmd
	bench_argv cmd --wgjit "$BUILD/app/wgjit/wgjit" ${1:+--lcores "$1"} --huge \
		--file-prefix "$pre" --vdev "net_pcap0,rx_pcap=${2:-$TMP/inits.pcap},infinite_rx=1" \
		--vdev net_null0,no-rx=1
	"${cmd[@]}" > "$TMP/wgjit.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for 100 $PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /wgjit/stats ||
		{ tail "$TMP/wgjit.log" >&2; die "wgjit did not start"; }
	sleep 1	# the first pass (2000 identified, held copies) is not measured
	r=$($PY "$ROOT/bench/rate.py" "$pre" "$SECS" "/wgjit/stats:${3:-$VERDICTS}" |
		awk '{print $2}')
	$PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /wgjit/stats --flat > "$TMP/last_stats"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$r"
}

cookie_rate() {
	local r
	topo conf "$TMP/wgjit.conf" uplink.port=0 tap.port=1 \
		handshake.cookie_rate=10000000
	r=$(wgjit_rate "" "$TMP/flood.pcap" cookies_sent)
	cp "$TMP/last_stats" "$TMP/cookie_stats"
	bench_conf 1000000 1000000
	echo "$r"
}

RAW=() IDF=() ONE=() TWO=() CK=()
for r in $(seq "$ROUNDS"); do
	out=$(taskset -c 1 "$BUILD/bench/bench_identify" "$ROOT/tests/data" 0.5)
	RAW+=("$(echo "$out" | awk '/^raw X25519/ {print $(NF-1)}')")
	IDF+=("$(echo "$out" | awk '/^identify \(mac1/ {print $(NF-1)}')")
	ONE+=("$(wgjit_rate)")
	TWO+=("$(wgjit_rate 0@0,1@1,2@0)")
	CK+=("$(cookie_rate)")
	echo "round $r: raw DH ${RAW[-1]}/s, identify ${IDF[-1]}/s, wgjit 1 worker ${ONE[-1]}/s, 2 workers ${TWO[-1]}/s, cookie replies ${CK[-1]}/s" >&2
done
med() { printf '%s\n' "$@" | median; }
raw=$(med "${RAW[@]}")
echo
echo "Identify rate, initiations checked per second (median of $ROUNDS interleaved rounds)"
echo "| what | checks/s | x raw X25519 |"
echo "|---|---:|---:|"
for row in "raw crypto_scalarmult, CPU 1 (bench_identify)|$raw" \
	"identify, mac1 + 1 DH (bench_identify)|$(med "${IDF[@]}")" \
	"wgjit, 1 worker (lcore 1 on CPU 1)|$(med "${ONE[@]}")" \
	"wgjit, 2 workers (CPU 1 + CPU 0 shared with control)|$(med "${TWO[@]}")"; do
	IFS='|' read -r name v <<<"$row"
	printf '| %s | %.0f | %.3f |\n' "$name" "$v" "$(echo "$v / $raw" | bc -l)"
done
ck=$(med "${CK[@]}")
printf '| wgjit, 1 worker, cookie replies to a spoofed flood | %.0f | %.3f |\n' "$ck" \
	"$(echo "$ck / $raw" | bc -l)"
echo
printf 'Cookie replies per identification, one worker: %.1fx\n' \
	"$(echo "$ck / $(med "${ONE[@]}")" | bc -l)"
echo "wgjit counters, last flood run: $(grep -E '^(rx|initiations|cookies_sent|cookie_limited|mac2_invalid|hs_queued|hs_queue_full|under_load_us)=' "$TMP/cookie_stats" | tr '\n' ' ')"
