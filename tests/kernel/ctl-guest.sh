# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs inside the VM (busybox sh), called by ctl-kernel.sh:
#   ctl-guest.sh CTL_LIVE SYNC-DIR STATIC-PUBKEY URL
# Adds a static peer to wg0 by hand, then runs the control path (ctl_live:
# libpcap capture on eth0, identify, SQLite cache, libcurl fetch, Netlink
# install into kernel WireGuard, eviction) until the host writes "done";
# then prints wg0's peers. The SQLite file lives in the VM (WAL needs
# shared memory, which 9p does not offer).

fail()
{
	echo "ctl-guest: FAIL: $*"
	exit 1
}

[ $# -eq 4 ] || fail "usage: ctl-guest.sh CTL_LIVE SYNC-DIR STATIC-PUBKEY URL"
wg set wg0 peer "$3" allowed-ips 10.253.0.99/32 || fail "wg set static peer"
"$1" --backend kernel --ifname wg0 --capture eth0 --url "$4" \
	--db /var/wgjit-cache.sqlite --idle-ms 3000 --grace-ms 8000 \
	--stats "$2/stats.json" --stop-file "$2/done" --seconds 50 \
	> "$2/ctl.log" 2>&1 || fail "ctl_live exited $?: $(cat "$2/ctl.log")"
wg show wg0 peers > "$2/peers.final" || fail "wg show"
echo "ctl-guest: ok"
