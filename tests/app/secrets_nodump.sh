#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Key material stays out of core dumps: in a running wgjit (the JIT
# topology, uapi backend, a client installed), every copy of the WireGuard
# interface's private key, raw, hex or base64, lies in memory marked
# MADV_DONTDUMP (secret memory, wgjit_secret.h). A copy that a device dump
# holds for a moment is allowed if it is gone a moment later: only a place
# found in three scans 300 ms apart fails.
#
# usage: secrets_nodump.sh WGJIT_BINARY TEL_PY WGJIT_CP_PY
set -eu
WGJIT=$1
TEL=$2
CP=$3
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgjn
topo_up --cp-py "$CP"
topo app-start --wgjit "$WGJIT" || fail "wgjit did not start"
client A 0
topo cp-add --client A
cl ip link set "$IF_A" up
cl ping -c 1 -W 4 -I "$IF_A" "$TUN_GW" >/dev/null || fail "A: no tunnel"
pid=$(topo pid app)
key=$(gw wg show "$WGG" private-key)
scan() { /usr/bin/python3 "$(dirname "$0")/secret_scan.py" "$pid" "$key" || true; }
scan > "$TMP/scan1"
cat "$TMP/scan1"
grep -q "out of core dumps" "$TMP/scan1" || fail "the key was not found at all: the scan does not work"
sleep 0.3; scan > "$TMP/scan2"
sleep 0.3; scan > "$TMP/scan3"
persist=$(grep DUMPABLE "$TMP/scan1" | grep -Fx -f - "$TMP/scan2" | grep -Fx -f - "$TMP/scan3" || true)
[ -z "$persist" ] || fail "the private key stays in dumpable memory: $persist"
echo "secrets: $(grep -c 'out of core dumps' "$TMP/scan1") copies of the key, all out of core dumps"
