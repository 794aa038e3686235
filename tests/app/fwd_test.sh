#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# wgjit as a bump in the wire, end to end:
#
#   netns CL: VC 10.77.0.2 ==veth== VG (af_packet uplink) in netns GW
#   netns GW: wgjit (control lcore 0, worker lcore 1), TAP 10.77.0.1
#
# Checks that ARP, ICMP, TCP and UDP pass both ways untouched, that
# /wgjit/stats counts exactly what was sent, that a WireGuard initiation
# from wireguard-go is identified and a random one is rejected at mac1,
# that the telemetry commands answer (and reject bad parameters), and that
# SIGTERM stops the app cleanly and removes the TAP.
#
# usage: fwd_test.sh WGJIT_BINARY TEL_PY [spread|multiqueue|hslcore]
#   spread: two workers on one core (lcores 1 and 2 on CPU 1); the
#   af_packet uplink has one queue, so worker 0 does all I/O and hands
#   initiations to the worker chosen by the source address.
#   multiqueue: the same two workers, af_packet with qpairs=2: each has
#   its own uplink queue (af_packet's fanout hash spreads the flows, as
#   RSS would) and does the DH work of what it receives.
#   hslcore: lcore 1 moves frames, lcore 2 (handshake.lcores) only does
#   the DH work.
set -eu

WGJIT=$1
TEL=$2
MODE=${3:-single}
QPAIRS=
HS_CONF=
case "$MODE" in
spread|multiqueue|hslcore)
	LCORES="--lcores=0@0,1@1,2@1"
	WORKER_LCORES="1 2"
	DH_LCORES="1 2"
	RX_LCORES="1 2"
	BAD_LCORES="0 3 x 1x -1"
	;;
*)
	LCORES="-l 0,1"
	WORKER_LCORES="1"
	DH_LCORES="1"
	RX_LCORES="1"
	BAD_LCORES="0 2 x 1x -1"
	;;
esac
case "$MODE" in
spread) RX_LCORES="1" ;;
multiqueue) QPAIRS=",qpairs=2" ;;
hslcore) RX_LCORES="1"; DH_LCORES="2"; HS_CONF="[handshake]
lcores = 2" ;;
esac
P=wgja$$
GW=${P}g
CL=${P}c
VG=${P}u
VC=${P}v
TAP=${P}t
WGC=${P}w
TMP=$(mktemp -d /tmp/$P.XXXXXX)
APP_PID=
WGGO_PID=

cleanup() {
	set +e
	[ -n "$APP_PID" ] && kill -KILL "$APP_PID" 2>/dev/null
	[ -n "$WGGO_PID" ] && kill "$WGGO_PID" 2>/dev/null
	ip netns del "$GW" 2>/dev/null
	ip netns del "$CL" 2>/dev/null
	rm -rf "$TMP" "/var/run/dpdk/$P"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$TMP/app.log" ] && sed 's/^/  app: /' "$TMP/app.log"
	exit 1
}

gw() { ip netns exec "$GW" "$@"; }
cl() { ip netns exec "$CL" "$@"; }

for tool in ip nft ethtool python3 wg wireguard-go; do
	command -v "$tool" >/dev/null || { echo "skip: no $tool"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
. "$(dirname "$0")/../lib/netns-wire.sh"	# wire_up, wait_for


# stat NAME: one counter of /wgjit/stats.
stats_snapshot() {
	python3 "$TEL" "$P" /wgjit/stats --flat > "$1" || fail "telemetry /wgjit/stats"
}
stat_of() { sed -n "s/^$2=//p" "$1"; }

# wait_delta BEFORE name=value...: poll /wgjit/stats until every counter
# has changed by exactly value since BEFORE; fail after 5 s. The last
# snapshot is left in $TMP/s1.
wait_delta() {
	local before=$1 kv name want got bad
	shift
	for _ in $(seq 50); do
		stats_snapshot "$TMP/s1"
		bad=
		for kv in "$@"; do
			name=${kv%%=*}
			want=${kv#*=}
			got=$(( $(stat_of "$TMP/s1" "$name") - $(stat_of "$before" "$name") ))
			[ "$got" = "$want" ] || bad="$bad $name changed by $got, expected $want;"
		done
		[ -z "$bad" ] && return 0
		sleep 0.1
	done
	fail "$STEP:$bad"
}

# Wait until every frame received is accounted for: rx == to_kernel +
# cookie replies + every drop of the handshake path (nothing is withheld
# here: no control plane), nothing waits in a handshake queue, and
# from_kernel + cookies == tx.
settle() {
	local f=$TMP/settle dropped
	for _ in $(seq 50); do
		stats_snapshot "$f"
		dropped=0
		for c in cookies_sent cookie_limited ratelimited limiter_full \
				hs_queue_full bad_static forged replays \
				negative_skipped inbox_full; do
			dropped=$(( dropped + $(stat_of "$f" $c) ))
		done
		if [ "$(stat_of "$f" rx)" = "$(( $(stat_of "$f" to_kernel) + dropped ))" ] &&
		   [ "$(stat_of "$f" hs_depth)" = 0 ] &&
		   [ "$(( $(stat_of "$f" from_kernel) + $(stat_of "$f" cookies_sent) ))" = "$(stat_of "$f" tx)" ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "counters did not settle"
}

### Namespaces and the wire.
wire_up
MAC_VG=$(gw ip -o link show "$VG" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
MAC_VC=$(cl ip -o link show "$VC" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

### The gateway key; the client is wireguard-go with the gateway as peer.
umask 077
wg genkey > "$TMP/gw.key"
wg genkey > "$TMP/cl.key"
GW_PUB=$(wg pubkey < "$TMP/gw.key")

cat > "$TMP/wgjit.conf" <<EOF
[wireguard]
listen_port = 51820
private_key_file = $TMP/gw.key
[uplink]
port = 0
[tap]
name = $TAP
$HS_CONF
EOF

ip netns exec "$GW" "$WGJIT" $LCORES --no-pci --no-huge -m 512 --file-prefix "$P" --log-level=user1,info \
	--vdev "net_af_packet0,iface=$VG$QPAIRS" -- --config "$TMP/wgjit.conf" \
	> "$TMP/app.log" 2>&1 &
APP_PID=$!
wait_for 100 gw ip link show "$TAP" || fail "TAP $TAP did not appear"
wait_for 100 python3 "$TEL" "$P" /wgjit/stats || fail "no telemetry socket"
TAP_MAC=$(gw ip -o link show "$TAP" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[ "$TAP_MAC" = "$MAC_VG" ] || fail "TAP MAC $TAP_MAC is not the uplink's $MAC_VG"
gw ip addr add 10.77.0.1/24 dev "$TAP"
gw ip link set "$TAP" up

### ARP + ICMP: the first ping resolves the gateway through the app.
STEP=arp
cl ping -c 1 -W 2 10.77.0.1 >/dev/null || fail "first ping (ARP) failed"
cl ip neigh show 10.77.0.1 dev "$VC" | grep -q "lladdr $MAC_VG" ||
	fail "client did not learn the gateway MAC by ARP"
gw ip neigh show 10.77.0.2 dev "$TAP" | grep -q "lladdr $MAC_VC" ||
	fail "gateway did not learn the client MAC by ARP"

# From here on no ARP: counts must be exact.
cl ip neigh replace 10.77.0.1 lladdr "$MAC_VG" dev "$VC" nud permanent
gw ip neigh replace 10.77.0.2 lladdr "$MAC_VC" dev "$TAP" nud permanent
settle

STEP=icmp
stats_snapshot "$TMP/s0"
cl ping -c 20 -i 0.01 -W 2 10.77.0.1 > "$TMP/ping.out" || fail "ping"
grep -q "20 received" "$TMP/ping.out" || fail "lost pings: $(tail -2 "$TMP/ping.out")"
wait_delta "$TMP/s0" rx=20 to_kernel=20 from_kernel=20 tx=20 \
	tx_drops=0 initiations=0 malformed=0

### UDP both ways (not the WireGuard port): 7 datagrams echoed.
STEP=udp
gw python3 - > "$TMP/udp_srv.out" 2>&1 <<'EOF' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 5002))
s.settimeout(10)
for _ in range(7):
    data, addr = s.recvfrom(2048)
    s.sendto(data[::-1], addr)
print("served")
EOF
SRV=$!
wait_for 50 sh -c "ip netns exec $GW ss -Huan | grep -q ':5002'" || fail "udp server"
stats_snapshot "$TMP/s0"
cl python3 - <<'EOF' || fail "udp echo"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(7):
    msg = b"wgjit-udp-%d-" % i + bytes(range(200))
    s.sendto(msg, ("10.77.0.1", 5002))
    data, _ = s.recvfrom(2048)
    assert data == msg[::-1], "udp payload changed"
EOF
wait "$SRV" || fail "udp server: $(cat "$TMP/udp_srv.out")"
wait_delta "$TMP/s0" rx=7 to_kernel=7 from_kernel=7 tx=7 \
	initiations=0 tx_drops=0

### TCP both ways: 256 KiB each way, byte for byte.
STEP=tcp
gw python3 - > "$TMP/tcp_srv.out" 2>&1 <<'EOF' &
import socket
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.77.0.1", 5001))
ls.listen(1)
ls.settimeout(10)
c, _ = ls.accept()
c.settimeout(10)
buf = b""
while len(buf) < 262144:
    d = c.recv(65536)
    if not d:
        break
    buf += d
c.sendall(bytes(b ^ 0x5a for b in buf))
c.close()
EOF
SRV=$!
wait_for 50 sh -c "ip netns exec $GW ss -Htln | grep -q ':5001'" || fail "tcp server"
stats_snapshot "$TMP/s0"
cl python3 - <<'EOF' || fail "tcp transfer"
import os, socket
data = os.urandom(262144)
s = socket.create_connection(("10.77.0.1", 5001), timeout=10)
s.sendall(data)
back = b""
while len(back) < len(data):
    d = s.recv(65536)
    if not d:
        break
    back += d
assert back == bytes(b ^ 0x5a for b in data), "tcp stream changed"
EOF
wait "$SRV" || fail "tcp server: $(cat "$TMP/tcp_srv.out")"
settle
stats_snapshot "$TMP/s1"
wait_delta "$TMP/s0" initiations=0 tx_drops=0
[ $(( $(stat_of "$TMP/s1" rx) - $(stat_of "$TMP/s0" rx) )) -gt 4 ] || fail "tcp: no frames counted"

### WireGuard: a random 148-byte initiation fails mac1 (no DH done).
STEP=bad_mac1
stats_snapshot "$TMP/s0"
cl python3 - <<'EOF'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x01\x00\x00\x00" + os.urandom(144), ("10.77.0.1", 51820))
EOF
wait_delta "$TMP/s0" rx=1 to_kernel=1 initiations=1 bad_mac1=1 \
	identified=0

### Sixteen more sources, each with a valid initiation of a key of its own:
### mac1 passes on the RX lcore, and each is checked by exactly one lcore
### (in spread mode, the one its source address hashes to).
STEP=sources
for i in $(seq 3 18); do cl ip addr add "10.77.0.$i/24" dev "$VC"; done
stats_snapshot "$TMP/s0"
cl python3 - "$GW_PUB" "$(dirname "$0")/../lib" <<'EOF'
import base64, socket, sys
sys.path.insert(0, sys.argv[2])
import wginit
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
gw = base64.b64decode(sys.argv[1])
for i in range(3, 19):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.77.0.%d" % i, 40000 + i))
    s.sendto(wginit.initiation(X25519PrivateKey.generate(), gw),
             ("10.77.0.1", 51820))
EOF
wait_delta "$TMP/s0" initiations=16 bad_mac1=0 hs_queued=16 hs_checked=16 \
	identified=16 ctl_initiations=16 ring_full=0 copy_failed=0 mac2_invalid=0

### Garbage from one source is never charged to anyone's limit: the
### per-source limiter runs only under load and after mac2; all ten fail
### mac1 and go to the kernel.
STEP=ratelimit
cl ip addr add 10.77.0.31/24 dev "$VC"
stats_snapshot "$TMP/s0"
cl python3 - <<'EOF'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.31", 40031))
for _ in range(10):
    s.sendto(b"\x01\x00\x00\x00" + os.urandom(144), ("10.77.0.1", 51820))
EOF
wait_delta "$TMP/s0" initiations=10 bad_mac1=10 ratelimited=0 identified=0 \
	hs_queued=0 mac2_valid=0 mac2_invalid=0

### A real initiation from wireguard-go is identified and handed over.
STEP=identify
ip netns exec "$CL" wireguard-go -f "$WGC" > "$TMP/wggo.log" 2>&1 &
WGGO_PID=$!
wait_for 50 cl ip link show "$WGC" || fail "wireguard-go did not start"
stats_snapshot "$TMP/s0"
cl wg set "$WGC" private-key "$TMP/cl.key" peer "$GW_PUB" \
	endpoint 10.77.0.1:51820 allowed-ips 10.78.0.1/32
cl ip addr add 10.78.0.2/24 dev "$WGC"
cl ip link set "$WGC" up
cl ping -c 1 -W 1 10.78.0.1 >/dev/null 2>&1 || true
# wireguard-go retries only after 5 s, so this is exactly one.
wait_delta "$TMP/s0" initiations=1 identified=1 ctl_initiations=1 \
	bad_mac1=0 bad_static=0 forged=0 replays=0 ring_full=0
kill "$WGGO_PID"
WGGO_PID=

### Telemetry: per-lcore view, bad parameters, config.
# With the client gone nothing moves: a slow run (sanitizers) may have let
# the client's 5 s retry in, so compare against a fresh total.
STEP=telemetry
settle
stats_snapshot "$TMP/s1"
ident=0
rx=0
for l in $WORKER_LCORES; do
	python3 "$TEL" "$P" "/wgjit/lcores,$l" --flat > "$TMP/l" || fail "/wgjit/lcores,$l"
	[ "$(stat_of "$TMP/l" lcore)" = "$l" ] || fail "lcores,$l: $(cat "$TMP/l")"
	ident=$(( ident + $(stat_of "$TMP/l" identified) ))
	rx=$(( rx + $(stat_of "$TMP/l" rx) ))
	case " $DH_LCORES " in
	*" $l "*) [ "$(stat_of "$TMP/l" hs_checked)" -gt 0 ] ||
			fail "lcore $l checked no initiation" ;;
	*) [ "$(stat_of "$TMP/l" hs_checked)" = 0 ] ||
			fail "lcore $l did DH work it should not" ;;
	esac
	case " $RX_LCORES " in
	*" $l "*) [ "$(stat_of "$TMP/l" rx)" -gt 0 ] ||
			fail "lcore $l received nothing" ;;
	*) [ "$(stat_of "$TMP/l" rx)" = 0 ] ||
			fail "lcore $l received frames without a queue" ;;
	esac
	python3 "$TEL" "$P" /wgjit/lcores | grep -q "\"$l\": {" ||
		fail "/wgjit/lcores does not list lcore $l"
done
[ "$ident" = "$(stat_of "$TMP/s1" identified)" ] || fail "lcores and totals disagree (identified)"
[ "$rx" = "$(stat_of "$TMP/s1" rx)" ] || fail "lcores and totals disagree (rx)"
for bad in $BAD_LCORES; do
	rc=0
	python3 "$TEL" "$P" "/wgjit/lcores,$bad" >/dev/null || rc=$?
	[ "$rc" = 2 ] || fail "/wgjit/lcores,$bad was accepted"
done
python3 "$TEL" "$P" /wgjit/config > "$TMP/config.json"
python3 - "$TMP/config.json" "$TAP" <<'EOF' || fail "/wgjit/config: $(cat "$TMP/config.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["wireguard"]["listen_port"] == 51820
assert c["tap"]["name"] == sys.argv[2]
assert c["ratelimit"]["per_source_rate"] == 20
assert c["bringup"]["mode"] == "initiate"
assert c["telemetry"]["enabled"] == "true"
assert c["handshake"]["queue_size"] == 4096
assert len(c) == 11, sorted(c)
EOF

### SIGTERM: clean stop, TAP removed.
STEP=stop
kill -TERM "$APP_PID"
rc=0
wait "$APP_PID" || rc=$?
APP_PID=
[ "$rc" = 0 ] || fail "wgjit exited with $rc after SIGTERM"
grep -q "wgjit: stopping" "$TMP/app.log" || fail "no clean stop in the log"
! gw ip link show "$TAP" >/dev/null 2>&1 || fail "TAP $TAP still exists"
echo "ok: ARP, ICMP, UDP, TCP forwarded; counters exact; identification; telemetry; stop"
