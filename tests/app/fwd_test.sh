#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# wgjit as a bump in the wire, end to end, on the wire of tests/lib/topo.py:
#
#   netns CL: VC 10.77.0.2 ==veth== VG (af_packet uplink) in netns GW
#   netns GW: wgjit (control lcore 0, worker lcore 1), TAP 10.77.0.1; no
#             WireGuard device: wgjit identifies with the gateway's key
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
APP_ARGS=()
case "$MODE" in
spread|multiqueue|hslcore)
	APP_ARGS=(--lcores 0@0,1@1,2@1)
	WORKER_LCORES="1 2"
	DH_LCORES="1 2"
	RX_LCORES="1 2"
	BAD_LCORES="0 3 x 1x -1"
	;;
*)
	WORKER_LCORES="1"
	DH_LCORES="1"
	RX_LCORES="1"
	BAD_LCORES="0 2 x 1x -1"
	;;
esac
case "$MODE" in
spread) RX_LCORES="1" ;;
multiqueue) APP_ARGS+=(--vdev "net_af_packet0,iface={vg},qpairs=2") ;;
hslcore) RX_LCORES="1"; DH_LCORES="2"; APP_ARGS+=(handshake.lcores=2) ;;
esac
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgja

# stats_snapshot FILE; snap_of FILE NAME: one counter of the snapshot.
stats_snapshot() {
	tel /wgjit/stats --flat > "$1" || fail "telemetry /wgjit/stats"
}
snap_of() { sed -n "s/^$2=//p" "$1"; }

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
			got=$(( $(snap_of "$TMP/s1" "$name") - $(snap_of "$before" "$name") ))
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
			dropped=$(( dropped + $(snap_of "$f" $c) ))
		done
		if [ "$(snap_of "$f" rx)" = "$(( $(snap_of "$f" to_kernel) + dropped ))" ] &&
		   [ "$(snap_of "$f" hs_depth)" = 0 ] &&
		   [ "$(( $(snap_of "$f" from_kernel) + $(snap_of "$f" cookies_sent) ))" = "$(snap_of "$f" tx)" ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "counters did not settle"
}

### Namespaces and the wire; wgjit on it, with the gateway's key and port.
topo wire
mac_of() { sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
MAC_VG=$(gw ip -o link show "$VG" | mac_of)
MAC_VC=$(cl ip -o link show "$VC" | mac_of)
topo app-start --wgjit "$WGJIT" --no-ping ${APP_ARGS[@]+"${APP_ARGS[@]}"} uplink.port=0
TAP_MAC=$(gw ip -o link show "$TAP" | mac_of)
[ "$TAP_MAC" = "$MAC_VG" ] || fail "TAP MAC $TAP_MAC is not the uplink's $MAC_VG"

### ARP + ICMP: the first ping resolves the gateway through the app.
STEP=arp
cl ping -c 1 -W 2 "$GW_ADDR" >/dev/null || fail "first ping (ARP) failed"
cl ip neigh show "$GW_ADDR" dev "$VC" | grep -q "lladdr $MAC_VG" ||
	fail "client did not learn the gateway MAC by ARP"
gw ip neigh show "$CL_ADDR" dev "$TAP" | grep -q "lladdr $MAC_VC" ||
	fail "gateway did not learn the client MAC by ARP"

# From here on no ARP: counts must be exact.
cl ip neigh replace "$GW_ADDR" lladdr "$MAC_VG" dev "$VC" nud permanent
gw ip neigh replace "$CL_ADDR" lladdr "$MAC_VC" dev "$TAP" nud permanent
settle

STEP=icmp
stats_snapshot "$TMP/s0"
cl ping -c 20 -i 0.01 -W 2 "$GW_ADDR" > "$TMP/ping.out" || fail "ping"
grep -q "20 received" "$TMP/ping.out" || fail "lost pings: $(tail -2 "$TMP/ping.out")"
wait_delta "$TMP/s0" rx=20 to_kernel=20 from_kernel=20 tx=20 \
	tx_drops=0 initiations=0 malformed=0

### UDP both ways (not the WireGuard port): 7 datagrams echoed.
STEP=udp
gw python3 - > "$TMP/udp_srv.out" 2>&1 <<'EOF' &
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((os.environ["GW_ADDR"], 5002))
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
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(7):
    msg = b"wgjit-udp-%d-" % i + bytes(range(200))
    s.sendto(msg, (os.environ["GW_ADDR"], 5002))
    data, _ = s.recvfrom(2048)
    assert data == msg[::-1], "udp payload changed"
EOF
wait "$SRV" || fail "udp server: $(cat "$TMP/udp_srv.out")"
wait_delta "$TMP/s0" rx=7 to_kernel=7 from_kernel=7 tx=7 \
	initiations=0 tx_drops=0

### TCP both ways: 256 KiB each way, byte for byte.
STEP=tcp
gw python3 - > "$TMP/tcp_srv.out" 2>&1 <<'EOF' &
import os, socket
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((os.environ["GW_ADDR"], 5001))
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
s = socket.create_connection((os.environ["GW_ADDR"], 5001), timeout=10)
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
[ $(( $(snap_of "$TMP/s1" rx) - $(snap_of "$TMP/s0" rx) )) -gt 4 ] || fail "tcp: no frames counted"

### WireGuard: a random 148-byte initiation fails mac1 (no DH done).
STEP=bad_mac1
stats_snapshot "$TMP/s0"
cl python3 - <<'EOF'
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x01\x00\x00\x00" + os.urandom(144),
         (os.environ["GW_ADDR"], int(os.environ["GW_PORT"])))
EOF
wait_delta "$TMP/s0" rx=1 to_kernel=1 initiations=1 bad_mac1=1 \
	identified=0

### Sixteen more sources, each with a valid initiation of a key of its own:
### mac1 passes on the RX lcore, and each is checked by exactly one lcore
### (in spread mode, the one its source address hashes to).
STEP=sources
WIRE=${CL_ADDR%.*}	# more sources on the wire's /24
for i in $(seq 3 18); do cl ip addr add "$WIRE.$i/$WIRE_PLEN" dev "$VC"; done
stats_snapshot "$TMP/s0"
cl python3 - "$WIRE" "$GW_PUB" "$(dirname "$0")/../lib" <<'EOF'
import base64, os, socket, sys
sys.path.insert(0, sys.argv[3])
import wginit
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
gw = base64.b64decode(sys.argv[2])
for i in range(3, 19):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("%s.%d" % (sys.argv[1], i), 40000 + i))
    s.sendto(wginit.initiation(X25519PrivateKey.generate(), gw),
             (os.environ["GW_ADDR"], int(os.environ["GW_PORT"])))
EOF
wait_delta "$TMP/s0" initiations=16 bad_mac1=0 hs_queued=16 hs_checked=16 \
	identified=16 ctl_initiations=16 ring_full=0 copy_failed=0 mac2_invalid=0

### Garbage from one source is never charged to anyone's limit: the
### per-source limiter runs only under load and after mac2; all ten fail
### mac1 and go to the kernel.
STEP=ratelimit
cl ip addr add "$WIRE.31/$WIRE_PLEN" dev "$VC"
stats_snapshot "$TMP/s0"
cl python3 - "$WIRE" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1] + ".31", 40031))
for _ in range(10):
    s.sendto(b"\x01\x00\x00\x00" + os.urandom(144),
             (os.environ["GW_ADDR"], int(os.environ["GW_PORT"])))
EOF
wait_delta "$TMP/s0" initiations=10 bad_mac1=10 ratelimited=0 identified=0 \
	hs_queued=0 mac2_valid=0 mac2_invalid=0

### A real initiation from wireguard-go is identified and handed over.
STEP=identify
client w 0	# keyed, the gateway as its peer, link down
stats_snapshot "$TMP/s0"
cl ip link set "$IF_w" up
cl ping -c 1 -W 1 -I "$IF_w" "$TUN_GW" >/dev/null 2>&1 || true
# wireguard-go retries only after 5 s, so this is exactly one.
wait_delta "$TMP/s0" initiations=1 identified=1 ctl_initiations=1 \
	bad_mac1=0 bad_static=0 forged=0 replays=0 ring_full=0
topo client-stop w

### A burst of mac1-valid garbage, faster than the DH work: the queue
### fills to 1/8 and the gateway goes under load. What was queued before
### then is taken under load: it goes back to its RX lcore for a cookie
### (hs_bounced) instead of a DH, so few of the frames cost one; with a
### handshake lcore (hslcore) that lcore answers it itself, as it answers
### what the RX lcore queues under load after mac1 alone (hs_gated). Last
### of the protocol steps: the gateway stays under load for a second.
STEP=backlog
stats_snapshot "$TMP/s0"
cl python3 - "$WIRE" "$GW_PUB" "$(dirname "$0")/../lib" <<'EOF'
import base64, os, socket, sys
sys.path.insert(0, sys.argv[3])
import wginit
frames = [wginit.mac1_garbage(base64.b64decode(sys.argv[2]))
          for _ in range(3000)]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1] + ".31", 40032))
dst = (os.environ["GW_ADDR"], int(os.environ["GW_PORT"]))
for f in frames:
    s.sendto(f, dst)
EOF
settle
stats_snapshot "$TMP/s1"
delta() { echo $(( $(snap_of "$TMP/s1" "$1") - $(snap_of "$TMP/s0" "$1") )); }
# On one core shared by two lcores the uplink's ring may drop some.
n=$(delta initiations)
[ "$n" -ge 1000 ] && [ "$n" -le 3000 ] || fail "backlog: $n initiations seen"
# What the stage did not DH under load: bounced back to the RX lcore
# (its own queue) or gated where it is (a handshake lcore's, hslcore).
case "$MODE" in
hslcore)
	[ "$(delta hs_bounced)" = 0 ] || fail "backlog: a handshake lcore bounced"
	[ "$(delta hs_gated)" -gt 0 ] ||
		fail "backlog: the handshake lcore gated nothing (hs_queued $(delta hs_queued), hs_checked $(delta hs_checked))"
	# The RX lcore spent mac1 alone: every cookie is the stage's.
	tel /wgjit/lcores,1 --flat > "$TMP/l1" || fail "/wgjit/lcores,1"
	[ "$(snap_of "$TMP/l1" cookies_sent)" = 0 ] && [ "$(snap_of "$TMP/l1" mac2_invalid)" = 0 ] ||
		fail "backlog: the RX lcore made cookies ($(snap_of "$TMP/l1" cookies_sent)) or checked mac2s"
	;;
*)
	[ "$(delta hs_gated)" = 0 ] || fail "backlog: an RX lcore's stage gated"
	[ "$(delta hs_bounced)" -gt 0 ] ||
		fail "backlog: nothing bounced (hs_queued $(delta hs_queued), hs_checked $(delta hs_checked))"
	;;
esac
held=$(( $(delta hs_bounced) + $(delta hs_gated) ))
[ "$(( $(delta hs_checked) + held ))" = "$(delta hs_queued)" ] ||
	fail "backlog: queued $(delta hs_queued) != checked $(delta hs_checked) + bounced $(delta hs_bounced) + gated $(delta hs_gated)"
[ "$(delta bad_static)" = "$(delta hs_checked)" ] ||
	fail "backlog: a garbage frame's DH did not reject it"
# Every frame answered under load, bounced and gated ones included, got a
# cookie or was over the cookie limit; none was queued twice.
[ "$(( $(delta cookies_sent) + $(delta cookie_limited) ))" = "$(delta mac2_invalid)" ] ||
	fail "backlog: mac2_invalid $(delta mac2_invalid) != cookies $(delta cookies_sent) + limited $(delta cookie_limited)"
[ "$(( $(delta mac2_invalid) + $(delta hs_queued) - held ))" = "$n" ] ||
	fail "backlog: frames lost between the queue and the cookie"
[ "$(delta hs_checked)" -lt $(( n / 2 )) ] ||
	fail "backlog: $(delta hs_checked) of $n garbage frames cost a DH"
echo "backlog: queued $(delta hs_queued), DH $(delta hs_checked), bounced $(delta hs_bounced), gated $(delta hs_gated), cookies $(delta cookies_sent)" >&2

### Telemetry: per-lcore view, bad parameters, config.
# With the client gone nothing moves: a slow run (sanitizers) may have let
# the client's 5 s retry in, so compare against a fresh total.
STEP=telemetry
settle
stats_snapshot "$TMP/s1"
ident=0
rx=0
for l in $WORKER_LCORES; do
	tel "/wgjit/lcores,$l" --flat > "$TMP/l" || fail "/wgjit/lcores,$l"
	[ "$(snap_of "$TMP/l" lcore)" = "$l" ] || fail "lcores,$l: $(cat "$TMP/l")"
	ident=$(( ident + $(snap_of "$TMP/l" identified) ))
	rx=$(( rx + $(snap_of "$TMP/l" rx) ))
	case " $DH_LCORES " in
	*" $l "*) [ "$(snap_of "$TMP/l" hs_checked)" -gt 0 ] ||
			fail "lcore $l checked no initiation" ;;
	*) [ "$(snap_of "$TMP/l" hs_checked)" = 0 ] ||
			fail "lcore $l did DH work it should not" ;;
	esac
	case " $RX_LCORES " in
	*" $l "*) [ "$(snap_of "$TMP/l" rx)" -gt 0 ] ||
			fail "lcore $l received nothing" ;;
	*) [ "$(snap_of "$TMP/l" rx)" = 0 ] ||
			fail "lcore $l received frames without a queue" ;;
	esac
	tel /wgjit/lcores | grep -q "\"$l\": {" ||
		fail "/wgjit/lcores does not list lcore $l"
done
[ "$ident" = "$(snap_of "$TMP/s1" identified)" ] || fail "lcores and totals disagree (identified)"
[ "$rx" = "$(snap_of "$TMP/s1" rx)" ] || fail "lcores and totals disagree (rx)"
for bad in $BAD_LCORES; do
	rc=0
	tel "/wgjit/lcores,$bad" >/dev/null || rc=$?
	[ "$rc" = 2 ] || fail "/wgjit/lcores,$bad was accepted"
done
tel /wgjit/config > "$TMP/config.json"
python3 - "$TMP/config.json" "$TAP" <<'EOF' || fail "/wgjit/config: $(cat "$TMP/config.json")"
import json, os, sys
c = json.load(open(sys.argv[1]))
assert c["wireguard"]["listen_port"] == int(os.environ["GW_PORT"])
assert c["tap"]["name"] == sys.argv[2]
assert c["ratelimit"]["per_source_rate"] == 20
assert c["bringup"]["mode"] == "initiate"
assert c["telemetry"]["enabled"] == "true"
assert c["handshake"]["queue_size"] == 4096
assert c["policy"]["allowed_ips"] == ""
assert len(c) == 13, sorted(c)
EOF

### SIGTERM: clean stop, TAP removed.
STEP=stop
rc=$(topo app-stop) || fail "wgjit did not stop on SIGTERM"
[ "$rc" = 0 ] || fail "wgjit exited with $rc after SIGTERM"
grep -q "wgjit: stopping" "$APP_LOG" || fail "no clean stop in the log"
! gw ip link show "$TAP" >/dev/null 2>&1 || fail "TAP $TAP still exists"
echo "ok: ARP, ICMP, UDP, TCP forwarded; counters exact; identification; telemetry; stop"
