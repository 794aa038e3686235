# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The host side of the VM tests that reach kernel WireGuard over --net
# (sourced by net-ping.sh, ctl-kernel.sh and jit-kernel.sh): a host netns
# holding a wireguard-go client of the VM's wg0 (10.253.0.2/24, port
# 51999) and, for the control-path tests, the reference control plane on
# port 8080, which knows the client. The VM's tap lands in that netns.
#
# Set before sourcing: name (for messages), tag (one letter for temporary,
# netns and interface names), logs (files in $tmp printed on failure).
# Gives: ns, wgif, tmp, pids, vmpid; fail, vm_running, wait_for, json_get,
# host_client (keys vm.key/vm_pub, client_pub, static_pub; the client
# running), host_cp (the control plane running), vm_finish (the host says
# "done", the VM's status in vm_rc).
# Cleanup runs on exit; KEEP=1 keeps $tmp.

ns=wgjq$$$tag
wgif=wgjq$$$tag
tmp=$(mktemp -d "/tmp/wgjq$$$tag.XXXXXX")
vmpid=
pids=()

host_cleanup()
{
	[ -z "$vmpid" ] || kill "$vmpid" 2> /dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	[ -z "$vmpid" ] || wait "$vmpid" 2> /dev/null || true
	ip netns pids "$ns" 2> /dev/null | xargs -r kill 2> /dev/null || true
	ip netns del "$ns" 2> /dev/null || true
	rm -f "/var/run/wireguard/$wgif.sock"
	if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap host_cleanup EXIT

fail()
{
	local f

	echo "$name: FAIL: $*" >&2
	for f in $logs; do
		[ ! -s "$tmp/$f" ] || { echo "--- $f" >&2; tail -20 "$tmp/$f" >&2; }
	done
	exit 1
}

vm_running()
{
	kill -0 "$vmpid" 2> /dev/null || fail "the VM run ended early"
}

# wait_for DESC SECONDS CMD...: poll CMD every 50 ms (and fail as soon as
# the VM run ends, once there is one).
wait_for()
{
	local desc=$1 n=$(($2 * 20))
	shift 2
	until "$@"; do
		[ -z "$vmpid" ] || vm_running
		n=$((n - 1))
		[ $n -gt 0 ] || fail "timed out waiting for $desc"
		sleep 0.05
	done
}

# json_get FILE KEY...: the value at that path, or -1.
json_get()
{
	/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[k]
print(v)' "$@" 2> /dev/null || echo -1
}

# host_client [endpoint ADDR:PORT]: the netns, the keys and the client,
# with or without an endpoint for the VM.
host_client()
{
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	(umask 077 && wg genkey > "$tmp/vm.key" && wg genkey > "$tmp/client.key")
	vm_pub=$(wg pubkey < "$tmp/vm.key")
	client_pub=$(wg pubkey < "$tmp/client.key")
	static_pub=$(wg genkey | wg pubkey)

	ip netns exec "$ns" wireguard-go -f "$wgif" > "$tmp/go.log" 2>&1 &
	pids+=($!)
	wait_for "wireguard-go's UAPI socket" 10 test -S "/var/run/wireguard/$wgif.sock"
	ip netns exec "$ns" wg set "$wgif" private-key "$tmp/client.key" listen-port 51999 \
		peer "$vm_pub" "$@" allowed-ips 10.253.0.1/32
	ip -n "$ns" addr add 10.253.0.2/24 dev "$wgif"
	ip -n "$ns" link set "$wgif" up
}

# host_cp CP_PY: the reference control plane, which knows the client.
host_cp()
{
	/usr/bin/python3 "$1" add --db "$tmp/cp.db" --public-key "$client_pub" \
		--allowed-ips 10.253.0.2/32 > /dev/null
	ip netns exec "$ns" /usr/bin/python3 "$1" serve --db "$tmp/cp.db" \
		--listen 0.0.0.0:8080 2> "$tmp/cp.log" &
	pids+=($!)
}

vm_finish()
{
	touch "$tmp/done"
	vm_rc=0
	wait "$vmpid" || vm_rc=$?
	vmpid=
}
