#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# New clients under a handshake flood (issue 10), with real parts: the
# topology of tests/lib/topo.py (wireguard-go clients, wgjit on an
# af_packet uplink, wireguard-go gateway, reference control plane). A
# flood of mac1-valid garbage from random spoofed sources in 10.200/16
# (tests/lib/wginit.py flood, tcpreplay at its top speed and the lowest
# priority: it is the network, not the gateway) runs while N never-seen
# clients connect one after the other. Each one's time is its first
# tunnel ping's round trip as ping measures it: its first initiation gets
# wgjit's cookie, its retry 5 s later carries the mac2 that proves its
# source, so the goal is one cookie round: p99 <= 5.5 s, no failures.
# For comparison, in the same run, N clients without the flood.
#
# usage: bench/run-flood.sh [N]   (default 20)
set -eu
TAG=wgjkl
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
N=${1:-20}
bench_build app/wgjit/wgjit
bench_hugepages
bench_machine
command -v tcpreplay >/dev/null || die "tcpreplay missing (devtools/deps.txt)"

topo_up
topo app-start --wgjit "$BUILD/app/wgjit/wgjit" --huge bringup.mode=initiate >/dev/null ||
	die "wgjit did not start"
VG_MAC=$(ip -n "$GW" -j link show "$VG" | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
VC_MAC=$(ip -n "$CL" -j link show "$VC" | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
$PY "$ROOT/tests/lib/wginit.py" flood --responder-pub "$GW_PUB" --out "$TMP/flood.pcap" \
	--count 40000 --src-net 10.200.0.0/16 --dst "$GW_ADDR:$GW_PORT" \
	--src-mac "$VC_MAC" --dst-mac "$VG_MAC"
# The cookie replies to the spoofed sources leave the gateway and vanish
# before the client host's IP layer (they belong elsewhere).
cl nft -f - <<EOF
table netdev ${P}spoof {
 chain in {
  type filter hook ingress device "$VC" priority 0;
  ip daddr 10.200.0.0/16 drop
 }
}
EOF

SEQ=0
one_client() { # WAIT_S: prints the first ping's round trip in ms, or fail
	local out
	SEQ=$((SEQ + 1))
	client "n$SEQ" $((300 + SEQ))
	topo cp-add --client "n$SEQ"
	cl ip link set "$(cvar IF "n$SEQ")" up
	if out=$(cl ping -n -c 1 -W "$1" -I "$(cvar IF "n$SEQ")" "$TUN_GW" 2>&1); then
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | head -1
	else
		echo fail
	fi
	topo client-stop "n$SEQ" >/dev/null
}

: > "$TMP/quiet"
for _ in $(seq "$N"); do one_client 3 >> "$TMP/quiet"; done
s0_init=$(stat_of initiations)
lost0=$(topo uplink-lost)
ip netns exec "$CL" nice -n 19 tcpreplay -q -i "$VC" --topspeed --loop=0 \
	"$TMP/flood.pcap" >/dev/null 2>&1 &
FLOOD=$!
PIDS+=($FLOOD)
_under_load() { [ "$(stat_of cookies_sent)" -gt 0 ]; }
wait_for 20 _under_load || die "the gateway did not go under load"
t0=$(date +%s)
: > "$TMP/flood"
for i in $(seq "$N"); do
	one_client 9 >> "$TMP/flood"
	echo "client $i under the flood: $(tail -1 "$TMP/flood") ms" >&2
done
secs=$(( $(date +%s) - t0 ))
kill "$FLOOD" 2>/dev/null || true
pps=$(( ($(stat_of initiations) - s0_init) / (secs > 0 ? secs : 1) ))

echo
echo "New clients, first tunnel ping's round trip (ms): $N one after the other"
echo "| | samples | failed | p50 | p99 | max |"
echo "|---|---:|---:|---:|---:|---:|"
for w in quiet flood; do
	grep -v fail "$TMP/$w" > "$TMP/ok" || true
	printf '| %s | %d | %d | %.1f | %.1f | %.1f |\n' \
		"$([ $w = quiet ] && echo "no flood" || echo "flood, ~$pps initiations/s")" \
		"$(grep -c . "$TMP/$w")" "$(grep -c fail "$TMP/$w" || true)" \
		"$(percentile 50 < "$TMP/ok")" "$(percentile 99 < "$TMP/ok")" \
		"$(sort -g "$TMP/ok" | tail -1)"
done
echo "uplink lost under the flood (frames the port dropped before wgjit read them): $(( $(topo uplink-lost) - lost0 ))"
echo "flood counters: cookies_sent=$(stat_of cookies_sent) cookie_limited=$(stat_of cookie_limited) mac2_valid=$(stat_of mac2_valid) hs_queue_full=$(stat_of hs_queue_full) under_load_us=$(stat_of under_load_us)"
