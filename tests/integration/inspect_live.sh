#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Real wireguard-go initiators in a namespace send handshake initiations to
# a gateway address in another namespace (tests/lib/topo.py, the gateway
# kernel on the wire, no gateway device); tcpdump captures them there and
# wgjit-inspect must name every client by its public key, see a duplicated
# packet as a replay, and a wrong key as bad_mac1.
#
# usage: inspect_live.sh WGJIT_INSPECT [NCLIENTS] [OUT_DIR]
set -euo pipefail

inspect=$1
nclients=${2:-5}
out=${3:-}
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgji
topo wire --kernel

ip netns exec "$GW" tcpdump -i "$VG" -U -n -w "$TMP/cap.pcap" \
	"udp dst port $GW_PORT" 2>"$TMP/tcpdump.log" &
tcpdump_pid=$!
PIDS+=($tcpdump_pid)
wait_for 50 grep -q listening "$TMP/tcpdump.log" || true

srcs=
for i in $(seq 1 "$nclients"); do
	client "c$i" "$i"
	srcs="$srcs $CL_ADDR:$(cvar PORT "c$i")"
	cl ip link set "$(cvar IF "c$i")" up
	ip netns exec "$CL" ping -c 1 -W 1 -I "$(cvar IF "c$i")" "$TUN_GW" >/dev/null 2>&1 &
done

count() {
	tcpdump -r "$TMP/cap.pcap" -n 2>/dev/null | grep -c 'length 148' || true
}
all_seen() { [ "$(count)" -ge "$nclients" ]; }
wait_for 50 all_seen || true
sleep 0.2
kill "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
got=$(count)
[ "$got" -ge "$nclients" ] || fail "captured $got initiations, want $nclients"

"$inspect" --private-key "$GW_KEY" --json "$TMP/cap.pcap" \
	> "$TMP/out.json" 2> "$TMP/summary.txt"
for i in $(seq 1 "$nclients"); do
	pub=$(cvar PUB "c$i")
	grep -F "\"public_key\":\"$pub\"" "$TMP/out.json" | \
		grep -q '"verdict":"ok"' || fail "client $i ($pub) not identified"
done
oks=$(grep -c '"verdict":"ok"' "$TMP/out.json")
[ "$oks" -eq "$got" ] || fail "$oks of $got initiations verified"
grep -q "summary: $got initiations, ok $got," "$TMP/summary.txt" || \
	fail "summary: $(cat "$TMP/summary.txt")"
# Every claimed timestamp is within a minute of now.
now=$(date -u +%s)
/usr/bin/python3 - "$TMP/out.json" "$now" "$srcs" "$GW_ADDR:$GW_PORT" <<'PY'
import json, sys, datetime
now = int(sys.argv[2])
srcs = set(sys.argv[3].split())
for line in open(sys.argv[1]):
    o = json.loads(line)
    t = datetime.datetime.strptime(o["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert abs(t - now) < 60, (o, now)
    assert o["src"] in srcs and o["dst"] == sys.argv[4], o
PY

# The human format carries the same verdicts.
"$inspect" --private-key "$GW_KEY" "$TMP/cap.pcap" > "$TMP/out.txt"
[ "$(grep -c " -> $GW_ADDR:$GW_PORT ok " "$TMP/out.txt")" -eq "$got" ] || fail "text format"

# A duplicated capture: the second copy of every packet is a replay.
/usr/bin/python3 - "$TMP/cap.pcap" "$TMP/dup.pcap" <<'PY'
import sys
from scapy.all import rdpcap, wrpcap
p = rdpcap(sys.argv[1])
wrpcap(sys.argv[2], list(p) + list(p))
PY
"$inspect" --private-key "$GW_KEY" --json "$TMP/dup.pcap" \
	> "$TMP/dup.json" 2> "$TMP/dup.txt"
[ "$(grep -c '"verdict":"replay"' "$TMP/dup.json")" -eq "$got" ] || \
	fail "replays: $(cat "$TMP/dup.txt")"

# The same initiations behind a VLAN tag and over IPv6 are found too.
/usr/bin/python3 - "$TMP/cap.pcap" "$TMP/vlan.pcap" "$TMP/v6.pcap" <<'PY'
import sys
from scapy.all import rdpcap, wrpcap, Ether, Dot1Q, IP, IPv6, UDP
p = rdpcap(sys.argv[1])
wrpcap(sys.argv[2], [Ether(src=x.src, dst=x.dst) / Dot1Q(vlan=42) / x[IP] for x in p])
wrpcap(sys.argv[3], [Ether(src=x.src, dst=x.dst) / IPv6(src="fd00::2", dst="fd00::1") /
                     UDP(sport=x[UDP].sport, dport=x[UDP].dport) / x[UDP].payload for x in p])
PY
for v in vlan v6; do
	"$inspect" --private-key "$GW_KEY" --json "$TMP/$v.pcap" > "$TMP/$v.json" 2>/dev/null
	[ "$(grep -c '"verdict":"ok"' "$TMP/$v.json")" -eq "$got" ] || fail "$v: $(head -2 "$TMP/$v.json")"
done
grep -q "\"src\":\"\\[fd00::2\\]:$(cvar PORT c1)\"" "$TMP/v6.json" || fail "IPv6 source not shown"

# Another gateway's key: mac1 fails for every packet, and nothing else runs.
wg genkey > "$TMP/other.key"
"$inspect" --private-key "$TMP/other.key" --json "$TMP/cap.pcap" \
	> "$TMP/other.json" 2>/dev/null
[ "$(grep -c '"verdict":"bad_mac1"' "$TMP/other.json")" -eq "$got" ] || \
	fail "wrong key not rejected by mac1"

# Forgeries: initiations that claim client 1's key, made without its
# private key (tests/lib/wginit.py), authenticate nothing.
/usr/bin/python3 "$(dirname "$0")/../lib/wginit.py" pcap --count 3 \
	--responder-pub "$GW_PUB" --claim "$(cvar PUB c1)" \
	--out "$TMP/forged.pcap"
"$inspect" --private-key "$GW_KEY" --json "$TMP/forged.pcap" \
	> "$TMP/forged.json" 2>/dev/null
[ "$(grep -c '"verdict":"forged"' "$TMP/forged.json")" -eq 3 ] || \
	fail "forgeries: $(cat "$TMP/forged.json")"

# Errors: a bad key file and a missing capture exit non-zero with a message.
echo "not a key" > "$TMP/bad.key"
chmod 600 "$TMP/bad.key"
if "$inspect" --private-key "$TMP/bad.key" "$TMP/cap.pcap" 2>"$TMP/e1"; then
	fail "bad key accepted"
fi
grep -q "does not hold one base64 key" "$TMP/e1" || fail "bad key message: $(cat "$TMP/e1")"
# A key file others may read is refused, as ssh refuses one.
cp "$GW_KEY" "$TMP/open.key"
chmod 644 "$TMP/open.key"
if "$inspect" --private-key "$TMP/open.key" "$TMP/cap.pcap" 2>"$TMP/e3"; then
	fail "a world-readable key accepted"
fi
grep -q "chmod 600" "$TMP/e3" || fail "open key message: $(cat "$TMP/e3")"
if "$inspect" --private-key "$GW_KEY" "$TMP/nope.pcap" 2>"$TMP/e2"; then
	fail "missing capture accepted"
fi
grep -q "nope.pcap" "$TMP/e2" || fail "missing capture message"
/usr/bin/python3 -c 'import sys; from scapy.all import wrpcap, IP, UDP; wrpcap(sys.argv[1], [IP()/UDP()])' "$TMP/raw.pcap"
if "$inspect" --private-key "$GW_KEY" "$TMP/raw.pcap" 2>"$TMP/e3"; then
	fail "a raw-IP capture accepted"
fi
grep -q "link type" "$TMP/e3" || fail "link type message: $(cat "$TMP/e3")"

if [ -n "$out" ]; then
	mkdir -p "$out"
	cp "$TMP/cap.pcap" "$out/wireguard-go-initiations.pcap"
	cp "$GW_KEY" "$out/gateway.key"
	for i in $(seq 1 "$nclients"); do cvar PUB "c$i"; done > "$out/clients.pub"
fi
echo "inspect_live: $got initiations from $nclients wireguard-go clients identified"
