# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs inside the VM (busybox sh), called by jit-kernel.sh:
#   jit-guest.sh MODE SYNC-DIR STATIC-PUBKEY URL
# The production topology: wgjit (DPDK, --no-huge) owns eth0 through
# net_af_packet, its TAP wgjit0 holds the gateway address 10.254.0.2, and
# kernel wg0 (backend = kernel, Netlink) sits behind it. The kernel must
# not answer on eth0 itself: no address, no ARP, strict rp_filter.
# SYNC-DIR (shared with the host) holds tun.ko and receives wgjit.log,
# stats.json (every 0.3 s), wg0.dump, then wgjit.status and peers.final
# once the host writes "done". wgjit, the PMDs and their libraries are in
# the initramfs (run-in-vm.sh --bin, --lib).

sync=$2
fail()
{
	echo "jit-guest: FAIL: $*"
	echo "$*" > "$sync/guest_error"
	[ -z "${pid:-}" ] || kill -TERM "$pid" 2> /dev/null
	exit 1
}

[ $# -eq 4 ] || fail "usage: jit-guest.sh MODE SYNC-DIR STATIC-PUBKEY URL"
mode=$1 static=$3 url=$4
sock=/var/run/dpdk/rte/dpdk_telemetry.v2

[ -d /sys/module/tun ] || insmod "$sync/tun.ko" || fail "insmod tun.ko"
wg set wg0 peer "$static" allowed-ips 10.253.0.99/32 || fail "wg set static peer"
ip addr flush dev eth0
ip link set eth0 arp off
echo 1 > /proc/sys/net/ipv4/conf/eth0/rp_filter
[ ! -e /proc/sys/net/ipv6/conf/eth0/disable_ipv6 ] ||
	echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6

cat > /tmp/wgjit.conf << EOF
[wireguard]
interface = wg0
backend = kernel
[tap]
name = wgjit0
[control_plane]
url = $url
# The control plane is the test host, on the VM's own link.
allow_http = true
[cache]
path = /tmp/wgjit-cache.sqlite
[handshake]
queue_size = 64
[workers]
idle_sleep_us = 200
[bringup]
mode = $mode
[evict]
idle_timeout = 3
grace = 8
interval = 1
EOF

# One vCPU: both lcores on it, the worker sleeps when idle. EAL loads the
# PMDs the host carried into its plugin folder (and only those).
wgjit --lcores 0@0,1@0 --no-pci --no-huge -m 256 \
	--vdev net_af_packet0,iface=eth0 --log-level=user1,info \
	-- --config /tmp/wgjit.conf > "$sync/wgjit.log" 2>&1 &
pid=$!

i=0
until [ -e /sys/class/net/wgjit0 ] && tel_query "$sock" /wgjit/stats > /dev/null 2>&1; do
	kill -0 "$pid" 2> /dev/null || fail "wgjit exited: $(tail -3 "$sync/wgjit.log")"
	i=$((i + 1))
	[ $i -le 600 ] || fail "wgjit did not come up within 60 s"
	sleep 0.1
done
ip addr add 10.254.0.2/24 dev wgjit0 || fail "address on wgjit0"
ip link set wgjit0 up || fail "wgjit0 up"
touch "$sync/ready"

i=0
while [ ! -e "$sync/done" ]; do
	kill -0 "$pid" 2> /dev/null || fail "wgjit exited early: $(tail -3 "$sync/wgjit.log")"
	tel_query "$sock" /wgjit/stats > /tmp/stats.json 2> /dev/null &&
		cp /tmp/stats.json "$sync/stats.new" && mv "$sync/stats.new" "$sync/stats.json"
	wg show wg0 dump > "$sync/wg0.new" && mv "$sync/wg0.new" "$sync/wg0.dump"
	# Where each of wgjit's threads is (for a failure's log): state,
	# kernel wait channel, system call (number and arguments) if in one.
	for t in /proc/"$pid"/task/*; do
		echo "$(cat "$t/comm") $(awk '{print $3}' "$t/stat") $(cat "$t/wchan" 2> /dev/null) $(cat "$t/syscall" 2> /dev/null)"
	done > "$sync/threads.new" 2> /dev/null && mv "$sync/threads.new" "$sync/threads"
	i=$((i + 1))
	[ $i -le 600 ] || fail "the host did not finish within about 3 minutes"
	sleep 0.3
done
kill -TERM "$pid"
wait "$pid"
echo $? > "$sync/wgjit.status"
wg show wg0 peers > "$sync/peers.final" || fail "wg show"
[ ! -e /sys/class/net/wgjit0 ] || fail "TAP wgjit0 left behind"
echo "jit-guest: ok"
