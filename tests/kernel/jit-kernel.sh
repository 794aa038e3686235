#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The production topology end to end, with kernel WireGuard: the real
# wgjit app (DPDK, net_af_packet on the VM's eth0, net_tap as the
# exception path) runs in the qemu VM in front of kernel wg0 (backend =
# kernel, Netlink); the host netns on the other side of the qemu tap holds
# a wireguard-go client the gateway has never seen and the reference
# control plane, which wgjit reaches through its own TAP and uplink.
#
# Checked: plain traffic both ways through the app (the host pings the
# gateway address on the TAP); the client's first ping through the tunnel
# passes on its first initiation in modes initiate and reinject (< 3 s),
# and after the client's 5 s retry in mode none; /wgjit/stats counts one
# API request and one install (a re-injection only in reinject); the
# peer appears in wg0 at the client's endpoint; idle, it is evicted over
# Netlink while a static peer stays; SIGTERM stops wgjit with status 0
# and removes the TAP.
#
#   tests/kernel/jit-kernel.sh WGJIT TEL_QUERY WGJIT_CP_PY MODE
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/vm-lib.sh"
wgjit=$1
tel_query=$2
cp_py=$3
mode=$4
name="jit-kernel ($mode)" tag=j
logs="guest_error vm.out vm.err wgjit.log stats.json wg0.dump cp.log threads"
. "$here/host-lib.sh"
stat_of() { json_get "$tmp/stats.json" /wgjit/stats "$1"; }
stat_eq() { [ "$(stat_of "$1")" = "$2" ]; }
in_wg0() { grep -q "^$1	" "$tmp/wg0.dump" 2> /dev/null; }

case "$mode" in initiate|reinject|none) ;; *) fail "unknown mode $mode" ;; esac
[ -x "$wgjit" ] || fail "not executable: $wgjit"
[ -x "$tel_query" ] || fail "not executable: $tel_query"

# What the VM needs besides wgjit and its libraries (--bin): the PMDs EAL
# loads from its plugin folder, with the libraries they add, and
# libgcc_s, which glibc loads for pthread_cancel() (rte_eal_cleanup()
# calls it at exit): none is an ELF dependency, so ldd of wgjit misses
# them (--lib); and tun.ko, which the base initramfs lacks.
kver=$(vm_pick_kver) || exit 125
tun=$(vm_module_paths "$kver" tun) || exit 125
case "$tun" in
*.ko) cp "$tun" "$tmp/tun.ko" ;;
*.ko.xz) xz -dc "$tun" > "$tmp/tun.ko" ;;
*.ko.zst) zstd -qdc "$tun" > "$tmp/tun.ko" ;;
*) fail "tun is built in or unknown: '$tun'" ;;
esac
pmd_dir=$(grep -ao 'DPDK_PLUGIN_PATH=/[[:graph:]]*' \
	"$(ldd "$wgjit" | awk '$1 ~ /^librte_eal/ { print $3 }')" | head -1)
pmd_dir=${pmd_dir#DPDK_PLUGIN_PATH=}
[ -d "$pmd_dir" ] || fail "no DPDK plugin folder ('$pmd_dir')"
libs=()
for p in mempool_ring net_af_packet net_tap; do
	f=$(ls "$pmd_dir"/librte_$p.so.* 2> /dev/null | sort | tail -1)
	[ -n "$f" ] || fail "no PMD $p in $pmd_dir"
	libs+=(--lib "$f")
done
gcc_s=$(/sbin/ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')
[ -n "$gcc_s" ] || fail "no libgcc_s.so.1"
libs+=(--lib "$gcc_s")

host_client endpoint 10.254.0.2:51820
host_cp "$cp_py"

t_vm=$(date +%s)
"$here/run-in-vm.sh" --net --netns "$ns" --wg-key "$tmp/vm.key" --share "$tmp" \
	--bin "$wgjit" --bin "$tel_query" "${libs[@]}" --timeout 200 -- \
	sh "$here/jit-guest.sh" "$mode" "$tmp" "$static_pub" http://10.254.0.1:8080 \
	> "$tmp/vm.out" 2> "$tmp/vm.err" &
vmpid=$!

wait_for "wgjit in the VM" 150 test -e "$tmp/ready"
echo "jit-kernel ($mode): wgjit up in the VM after $(( $(date +%s) - t_vm )) s"

# The host side of the qemu tap must not hand partial checksums to the
# VM: wgjit forwards frames as they come, and the guest kernel would drop
# UDP and TCP whose checksum is still to be filled in (testbed.md, veth).
# After the guest's virtio_net is up: qemu sets the tap's offloads then.
# run-in-vm.sh names the tap wgjqtap<its pid>.
qtap=$(ip -n "$ns" -o link show | grep -o "wgjqtap[0-9]*" | head -1)
[ -n "$qtap" ] || fail "no qemu tap in $ns"
ip netns exec "$ns" ethtool -K "$qtap" tx off > /dev/null
ip netns exec "$ns" ethtool -k "$qtap" | grep -q '^tx-checksumming: off' ||
	fail "tx checksumming still on: $(ip netns exec "$ns" ethtool -k "$qtap" | grep tx-check)"
# JIT_PCAP=1 KEEP=1: a capture of the link for debugging.
if [ -n "${JIT_PCAP:-}" ]; then
	ip netns exec "$ns" tcpdump -U -i "$qtap" -w "$tmp/qtap.pcap" 2> /dev/null &
	pids+=($!)
fi

# Plain traffic through the app, both ways: ARP and echo to the gateway
# address on the TAP (the control plane's HTTP takes the same path).
# With -c, once a reply came, ping waits only twice the slowest RTT for the
# rest unless given a deadline (-w): TCG is slower than that at times.
ip netns exec "$ns" ping -c 3 -i 0.3 -w 10 10.254.0.2 > "$tmp/ping0" ||
	{ cat "$tmp/ping0" >&2; fail "no plain ping of the gateway address through wgjit"; }

# The never-seen client, timed from its first packet.
t0=$(date +%s%N)
if [ "$mode" = none ]; then w=12; else w=5; fi
ip netns exec "$ns" ping -c 1 -W "$w" 10.253.0.1 > /dev/null ||
	fail "no tunnel to kernel WireGuard within $w s"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "jit-kernel ($mode): first tunnel ping of a never-seen client: $ms ms"
if [ "$mode" = none ]; then
	# Nothing brings the handshake up: only the client's retry, 5 s on.
	[ "$ms" -ge 4000 ] || fail "$ms ms in mode none: it did not wait for the retry"
else
	[ "$ms" -lt 3000 ] || fail "$ms ms: the client waited for its retry"
fi
# Keep the tunnel busy until the idle step: on a slow VM the checks below
# can outlast the eviction's grace, and a quiet peer would be evicted
# before they look at it.
ip netns exec "$ns" ping -q -i 0.5 10.253.0.1 > /dev/null 2>&1 &
busy=$!
pids+=("$busy")
wait_for "the install to be counted" 20 stat_eq installs 1
[ "$(stat_of api_requests)" = 1 ] || fail "api_requests $(stat_of api_requests)"
[ "$(stat_of identified)" -ge 1 ] || fail "nothing identified"
if [ "$mode" = reinject ]; then
	[ "$(stat_of reinjected)" -ge 1 ] || fail "the held initiation was not re-injected"
else
	[ "$(stat_of reinjected)" = 0 ] || fail "re-injected in mode $mode"
fi
wait_for "the handshake to be seen" 20 stat_eq handshakes 1
wait_for "the client in wg0" 10 in_wg0 "$client_pub"
ep=$(grep "^$client_pub	" "$tmp/wg0.dump" | cut -f3)
[ "$ep" = 10.254.0.1:51999 ] || fail "client endpoint in wg0: '$ep'"
ping_out=$(ip netns exec "$ns" ping -n -c 5 -i 0.2 -w 10 10.253.0.1) ||
	{ echo "$ping_out" >&2; fail "tunnel ping"; }
echo "$ping_out" | grep -q '^5 packets transmitted, 5 received' ||
	{ echo "$ping_out" >&2; fail "not 5 of 5 tunnel replies"; }

# Idle: evicted over Netlink; the static peer stays.
[ "$(stat_of evictions)" = 0 ] || fail "evicted while active"
kill "$busy" 2> /dev/null || true
ip -n "$ns" link set "$wgif" down
wait_for "the eviction" 40 stat_eq evictions 1
wait_for "the client to leave wg0" 10 eval '! in_wg0 "$client_pub"'
in_wg0 "$static_pub" || fail "static peer touched"
[ "$(stat_of peers_installed)" = 0 ] || fail "peers_installed $(stat_of peers_installed)"

vm_finish
[ $vm_rc = 0 ] || fail "VM run exited $vm_rc: $(cat "$tmp/vm.out")"
[ "$(cat "$tmp/wgjit.status")" = 0 ] || fail "wgjit exit status $(cat "$tmp/wgjit.status") after SIGTERM"
grep -qx "$static_pub" "$tmp/peers.final" || fail "static peer gone at the end"
grep -qx "$client_pub" "$tmp/peers.final" && fail "evicted peer back in wg0"
echo "jit-kernel ($mode): ok: installed over Netlink on the first initiation, evicted idle, clean stop ($(( $(date +%s) - t_vm )) s)"
