# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs inside the VM (busybox sh), called by net-ping.sh with the client's
# public key and a folder shared with the host: adds the client as a peer of
# wg0, says "ready", waits until the host says "done", then prints the
# peer line of `wg show wg0 dump`.

fail()
{
	echo "net-guest: FAIL: $*"
	exit 1
}

[ $# = 2 ] || fail "usage: net-guest.sh CLIENT-PUBKEY SYNC-DIR"
wg set wg0 peer "$1" allowed-ips 10.253.0.2/32 || fail "wg set peer failed"
touch "$2/ready" || fail "cannot write $2/ready"
i=0
while [ ! -e "$2/done" ]; do
	i=$((i + 1))
	[ $i -le 1000 ] || fail "the host did not finish within 50 s"
	sleep 0.05
done
wg show wg0 dump | tail -n +2
