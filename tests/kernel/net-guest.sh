# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs inside the VM (busybox sh), called by net-ping.sh:
#   net-guest.sh CLIENT-PUBKEY SYNC-DIR [wg|bringup]
# Adds the client as a peer of wg0: with `wg set` (allowed IP only), or, for
# bringup, with test_wg_live --add-peer (endpoint and keepalive in one set,
# so the kernel sends an initiation at once). Then says "ready", waits until
# the host says "done" and prints the peer line of `wg show wg0 dump`.

fail()
{
	echo "net-guest: FAIL: $*"
	exit 1
}

[ $# -ge 2 ] || fail "usage: net-guest.sh CLIENT-PUBKEY SYNC-DIR [wg|bringup]"
case "${3:-wg}" in
wg)
	wg set wg0 peer "$1" allowed-ips 10.253.0.2/32 || fail "wg set peer failed"
	;;
bringup)
	test_wg_live --kind kernel --ifname wg0 --add-peer "$1" \
		--endpoint 10.254.0.1:51999 --keepalive 25 \
		--allowed-ip 10.253.0.2/32 || fail "test_wg_live --add-peer failed"
	;;
*)
	fail "unknown mode $3"
	;;
esac
touch "$2/ready" || fail "cannot write $2/ready"
i=0
while [ ! -e "$2/done" ]; do
	i=$((i + 1))
	[ $i -le 1000 ] || fail "the host did not finish within 50 s"
	sleep 0.05
done
wg show wg0 dump | tail -n +2
