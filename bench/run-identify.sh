#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Identifications vs cookie replies per core (issue 10).
#
# bench_identify, pinned to CPU 1, measures the primitives side by side:
# raw X25519, identify (mac1 + 1 DH: what a worker spends per initiation
# out of load), full check with a warm static-static cache, mac1 + a mac2
# check, and mac1 + a cookie reply (what a worker spends per initiation
# under load, instead of the DH).
#
# Then the whole app on one worker (-l 0,1): net_pcap replays
# (infinite_rx) a pcap of COUNT mac1-valid garbage initiations from
# distinct spoofed sources (tests/lib/wginit.py flood) at line rate, the
# exception port is net_null (tap.port). The handshake queue fills, the
# gateway goes under load and answers each with a cookie reply instead of
# a DH. Replies per second = the rate of cookies_sent over SECONDS, after
# one second of warm-up (handshake.cookie_rate raised so it does not
# cap, nor the per-destination limit). Interleaved rounds,
# medians.
#
# usage: bench/run-identify.sh [ROUNDS] [SECONDS] [COUNT]
set -eu
TAG=wgjki
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
SECS=${2:-3}
COUNT=${3:-4096}

bench_build app/wgjit/wgjit bench/bench_identify
bench_hugepages
bench_machine

# net_pcap's infinite_rx holds the whole pcap in mbufs: COUNT fits the
# pool of one worker.
$PY "$ROOT/tests/lib/wginit.py" flood --responder-pub "$GW_PUB" \
	--out "$TMP/flood.pcap" --count "$COUNT" --src-net 10.200.0.0/14 \
	--dst "10.0.0.1:$GW_PORT"
# Per-destination and global cookie limits raised: the capacity, not the
# limits, is measured.
topo conf "$TMP/wgjit.conf" uplink.port=0 tap.port=1 \
	ratelimit.per_source_rate=1000000 ratelimit.per_source_burst=1000000 \
	handshake.cookie_rate=10000000

cookie_rate() { # prints cookies_sent/s of one worker
	local pre=${P}_$RANDOM pid r cmd
	bench_argv cmd --wgjit "$BUILD/app/wgjit/wgjit" --huge \
		--file-prefix "$pre" \
		--vdev "net_pcap0,rx_pcap=$TMP/flood.pcap,infinite_rx=1" \
		--vdev net_null0,no-rx=1
	"${cmd[@]}" > "$TMP/wgjit.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for 100 $PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /wgjit/stats ||
		{ tail "$TMP/wgjit.log" >&2; die "wgjit did not start"; }
	sleep 1
	r=$($PY "$ROOT/bench/rate.py" "$pre" "$SECS" "/wgjit/stats:cookies_sent" |
		awk '{print $2}')
	$PY "$ROOT/tests/app/wgjit_tel.py" "$pre" /wgjit/stats --flat > "$TMP/cookie_stats"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	[ -n "$r" ] || die "no rate (see $TMP/wgjit.log)"
	echo "$r"
}

RAW=() IDF=() FULL=() MAC2=() CKB=() CK=()
for r in $(seq "$ROUNDS"); do
	out=$(taskset -c 1 "$BUILD/bench/bench_identify" "$ROOT/tests/data" 0.5)
	col() { echo "$out" | awk -v k="$1" 'index($0, k) == 1 {print $(NF-1)}'; }
	RAW+=("$(col 'raw X25519')")
	IDF+=("$(col 'identify (mac1')")
	FULL+=("$(col 'full check, warm')")
	MAC2+=("$(col 'mac1 + mac2')")
	CKB+=("$(col 'mac1 + cookie')")
	CK+=("$(cookie_rate)")
	echo "round $r: raw DH ${RAW[-1]}/s, identify ${IDF[-1]}/s, full check ${FULL[-1]}/s, mac2 ${MAC2[-1]}/s, cookie ${CKB[-1]}/s, wgjit cookie replies ${CK[-1]}/s" >&2
done
raw=$(median_of "${RAW[@]}")
idf=$(median_of "${IDF[@]}")
ck=$(median_of "${CK[@]}")
echo
echo "Per core: initiations identified vs cookie replies (median of $ROUNDS interleaved rounds)"
echo "| what | per second | x identify |"
echo "|---|---:|---:|"
for row in "raw crypto_scalarmult (bench_identify)|$raw" \
	"identify, mac1 + 1 DH (bench_identify)|$idf" \
	"full check, warm static-static cache (bench_identify)|$(median_of "${FULL[@]}")" \
	"mac1 + mac2 check (bench_identify)|$(median_of "${MAC2[@]}")" \
	"mac1 + cookie reply (bench_identify)|$(median_of "${CKB[@]}")" \
	"wgjit, 1 worker, cookie replies sent to a spoofed line-rate flood|$ck"; do
	IFS='|' read -r name v <<<"$row"
	printf '| %s | %.0f | %.2f |\n' "$name" "$v" "$($PY -c "print($v / $idf)")"
done
echo
echo "wgjit counters, last flood run: $(grep -E '^(rx|initiations|cookies_sent|cookie_limited|mac2_invalid|hs_queued|hs_queue_full|under_load_us)=' "$TMP/cookie_stats" | tr '\n' ' ')"
