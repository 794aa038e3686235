#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The test initiator (tests/lib/wginit.py) is itself checked against real
# wireguard-go (the gateway device of tests/lib/topo.py): an initiation
# from its configured (static) peer gets a handshake response, one from an
# unknown key does not. The hostile-input tests rely on it, so it must be
# right.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/topo.sh"
topo_init wgjx
topo gateway
wg genkey > "$TMP/stranger.key"
out=$(gw /usr/bin/python3 "$here/../lib/wginit.py" send \
	--responder-pub "$GW_PUB" --key "$STATIC_KEY" --to "127.0.0.1:$GW_PORT")
[ "$out" = response ] || fail "configured peer: $out"
out=$(gw /usr/bin/python3 "$here/../lib/wginit.py" send \
	--timeout 0.5 --responder-pub "$GW_PUB" --key "$TMP/stranger.key" \
	--to "127.0.0.1:$GW_PORT" || true)
[ "$out" = "no response" ] || fail "unknown key: $out"
echo "wginit_interop: wireguard-go accepts wginit.py initiations"
