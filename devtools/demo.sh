#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The README's demo: installs what is missing, builds, then starts real
# wireguard-go clients in network namespaces, captures their first
# handshake initiations, and lets wgjit-inspect name each client from the
# gateway's private key alone, as the data path does per packet.
set -euo pipefail
cd "$(dirname "$0")/.."
devtools/setup.sh
devtools/build.sh build >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== 3 wireguard-go clients knock on a gateway that knows none of them"
bash tests/integration/inspect_live.sh build/app/inspect/wgjit-inspect 3 "$out"
echo
echo "== client public keys (from wg pubkey):"
cat "$out/clients.pub"
echo
echo "== wgjit-inspect --private-key gateway.key capture.pcap"
build/app/inspect/wgjit-inspect --private-key "$out/gateway.key" \
	"$out/wireguard-go-initiations.pcap"
