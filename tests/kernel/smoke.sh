#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Smoke test of the kernel WireGuard VM: boot the Debian kernel under qemu,
# check that wg0 exists with the harness's key and port (so the genl family
# resolves), set a peer with `wg set`, read it back exactly with
# `wg show dump`, and check that exit statuses pass through the harness.
#   tests/kernel/smoke.sh        (root; about 10 s)

set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/run-in-vm.sh
tmp=$(mktemp -d /tmp/wgjq-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail()
{
	echo "smoke: FAIL: $*" >&2
	exit 1
}

peer=$(wg genkey | wg pubkey)
psk=$(wg genpsk)
set +e
out=$("$run" -- sh "$here/smoke-guest.sh" "$peer" "$psk")
rc=$?
set -e
echo "$out"
[ $rc = 0 ] || fail "smoke-guest.sh exited $rc"
[ "$(echo "$out" | tail -n 1)" = "smoke-guest: ok" ] || fail "no 'ok' from the guest"

# The harness must hand back the command's own status, not its own.
set +e
"$run" --no-wg0 -- sh -c 'exit 42'
rc=$?
set -e
[ $rc = 42 ] || fail "exit 42 in the VM came back as $rc"
echo "smoke: ok"
