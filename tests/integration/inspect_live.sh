#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Real wireguard-go initiators in a namespace send handshake initiations to
# a gateway address in another namespace; tcpdump captures them there and
# wgjit-inspect must name every client by its public key, see a duplicated
# packet as a replay, and a wrong key as bad_mac1.
#
# usage: inspect_live.sh WGJIT_INSPECT [NCLIENTS] [OUT_DIR]
set -euo pipefail

inspect=$1
nclients=${2:-5}
out=${3:-}
tag=wgji$$
gw=$tag-gw
cl=$tag-cl
work=$(mktemp -d)
umask 077
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns pids "$cl" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns pids "$gw" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$cl" 2>/dev/null || true
	ip netns del "$gw" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

ip netns add "$gw"
ip netns add "$cl"
ip link add "${tag}g" netns "$gw" type veth peer name "${tag}c" netns "$cl"
ip -n "$gw" addr add 10.77.0.1/24 dev "${tag}g"
ip -n "$cl" addr add 10.77.0.2/24 dev "${tag}c"
ip -n "$gw" link set "${tag}g" up
ip -n "$cl" link set "${tag}c" up
ip -n "$gw" link set lo up
ip -n "$cl" link set lo up

wg genkey > "$work/gw.key"
gwpub=$(wg pubkey < "$work/gw.key")

ip netns exec "$gw" tcpdump -i "${tag}g" -U -n -w "$work/cap.pcap" \
	'udp dst port 51820' 2>"$work/tcpdump.log" &
pids+=($!)
for _ in $(seq 100); do
	grep -q listening "$work/tcpdump.log" 2>/dev/null && break
	sleep 0.05
done

for i in $(seq 1 "$nclients"); do
	ifn=${tag}w$i
	wg genkey > "$work/c$i.key"
	wg pubkey < "$work/c$i.key" > "$work/c$i.pub"
	ip netns exec "$cl" wireguard-go -f "$ifn" >"$work/wg$i.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		[ -S "/var/run/wireguard/$ifn.sock" ] && break
		sleep 0.05
	done
	ip netns exec "$cl" wg set "$ifn" private-key "$work/c$i.key" \
		listen-port $((61100 + i)) peer "$gwpub" \
		endpoint 10.77.0.1:51820 allowed-ips "10.88.$i.0/24"
	ip -n "$cl" addr add "10.88.$i.2/24" dev "$ifn"
	ip -n "$cl" link set "$ifn" up
	ip netns exec "$cl" ping -c 1 -W 1 "10.88.$i.1" >/dev/null 2>&1 &
done

count() {
	tcpdump -r "$work/cap.pcap" -n 2>/dev/null | grep -c 'length 148' || true
}
for _ in $(seq 100); do
	[ "$(count)" -ge "$nclients" ] && break
	sleep 0.05
done
sleep 0.2
kill "${pids[0]}" 2>/dev/null || true
wait "${pids[0]}" 2>/dev/null || true
got=$(count)
[ "$got" -ge "$nclients" ] || fail "captured $got initiations, want $nclients"

"$inspect" --private-key "$work/gw.key" --json "$work/cap.pcap" \
	> "$work/out.json" 2> "$work/summary.txt"
for i in $(seq 1 "$nclients"); do
	pub=$(cat "$work/c$i.pub")
	grep -F "\"public_key\":\"$pub\"" "$work/out.json" | \
		grep -q '"verdict":"ok"' || fail "client $i ($pub) not identified"
done
oks=$(grep -c '"verdict":"ok"' "$work/out.json")
[ "$oks" -eq "$got" ] || fail "$oks of $got initiations verified"
grep -q "summary: $got initiations, ok $got," "$work/summary.txt" || \
	fail "summary: $(cat "$work/summary.txt")"
# Every claimed timestamp is within a minute of now.
now=$(date -u +%s)
/usr/bin/python3 - "$work/out.json" "$now" <<'PY'
import json, sys, datetime
now = int(sys.argv[2])
for line in open(sys.argv[1]):
    o = json.loads(line)
    t = datetime.datetime.strptime(o["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert abs(t - now) < 60, (o, now)
    assert o["src"].startswith("10.77.0.2:611") and o["dst"] == "10.77.0.1:51820", o
PY

# The human format carries the same verdicts.
"$inspect" --private-key "$work/gw.key" "$work/cap.pcap" > "$work/out.txt"
[ "$(grep -c ' -> 10.77.0.1:51820 ok ' "$work/out.txt")" -eq "$got" ] || fail "text format"

# A duplicated capture: the second copy of every packet is a replay.
/usr/bin/python3 - "$work/cap.pcap" "$work/dup.pcap" <<'PY'
import sys
from scapy.all import rdpcap, wrpcap
p = rdpcap(sys.argv[1])
wrpcap(sys.argv[2], list(p) + list(p))
PY
"$inspect" --private-key "$work/gw.key" --json "$work/dup.pcap" \
	> "$work/dup.json" 2> "$work/dup.txt"
[ "$(grep -c '"verdict":"replay"' "$work/dup.json")" -eq "$got" ] || \
	fail "replays: $(cat "$work/dup.txt")"

# The same initiations behind a VLAN tag and over IPv6 are found too.
/usr/bin/python3 - "$work/cap.pcap" "$work/vlan.pcap" "$work/v6.pcap" <<'PY'
import sys
from scapy.all import rdpcap, wrpcap, Ether, Dot1Q, IP, IPv6, UDP
p = rdpcap(sys.argv[1])
wrpcap(sys.argv[2], [Ether(src=x.src, dst=x.dst) / Dot1Q(vlan=42) / x[IP] for x in p])
wrpcap(sys.argv[3], [Ether(src=x.src, dst=x.dst) / IPv6(src="fd00::2", dst="fd00::1") /
                     UDP(sport=x[UDP].sport, dport=x[UDP].dport) / x[UDP].payload for x in p])
PY
for v in vlan v6; do
	"$inspect" --private-key "$work/gw.key" --json "$work/$v.pcap" > "$work/$v.json" 2>/dev/null
	[ "$(grep -c '"verdict":"ok"' "$work/$v.json")" -eq "$got" ] || fail "$v: $(head -2 "$work/$v.json")"
done
grep -q '"src":"\[fd00::2\]:611' "$work/v6.json" || fail "IPv6 source not shown"

# Another gateway's key: mac1 fails for every packet, and nothing else runs.
wg genkey > "$work/other.key"
"$inspect" --private-key "$work/other.key" --json "$work/cap.pcap" \
	> "$work/other.json" 2>/dev/null
[ "$(grep -c '"verdict":"bad_mac1"' "$work/other.json")" -eq "$got" ] || \
	fail "wrong key not rejected by mac1"

# Forgeries: initiations that claim client 1's key, made without its
# private key (tests/lib/wginit.py), authenticate nothing.
/usr/bin/python3 "$(dirname "$0")/../lib/wginit.py" pcap --count 3 \
	--responder-pub "$gwpub" --claim "$(cat "$work/c1.pub")" \
	--out "$work/forged.pcap"
"$inspect" --private-key "$work/gw.key" --json "$work/forged.pcap" \
	> "$work/forged.json" 2>/dev/null
[ "$(grep -c '"verdict":"forged"' "$work/forged.json")" -eq 3 ] || \
	fail "forgeries: $(cat "$work/forged.json")"

# Errors: a bad key file and a missing capture exit non-zero with a message.
echo "not a key" > "$work/bad.key"
if "$inspect" --private-key "$work/bad.key" "$work/cap.pcap" 2>"$work/e1"; then
	fail "bad key accepted"
fi
grep -q "not a WireGuard private key" "$work/e1" || fail "bad key message"
if "$inspect" --private-key "$work/gw.key" "$work/nope.pcap" 2>"$work/e2"; then
	fail "missing capture accepted"
fi
grep -q "nope.pcap" "$work/e2" || fail "missing capture message"
/usr/bin/python3 -c 'import sys; from scapy.all import wrpcap, IP, UDP; wrpcap(sys.argv[1], [IP()/UDP()])' "$work/raw.pcap"
if "$inspect" --private-key "$work/gw.key" "$work/raw.pcap" 2>"$work/e3"; then
	fail "a raw-IP capture accepted"
fi
grep -q "link type" "$work/e3" || fail "link type message: $(cat "$work/e3")"

if [ -n "$out" ]; then
	mkdir -p "$out"
	cp "$work/cap.pcap" "$out/wireguard-go-initiations.pcap"
	cp "$work/gw.key" "$out/gateway.key"
	for i in $(seq 1 "$nclients"); do cat "$work/c$i.pub"; done > "$out/clients.pub"
fi
echo "inspect_live: $got initiations from $nclients wireguard-go clients identified"
