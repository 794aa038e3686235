#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Runs test_ctl_clock against real parts of the test topology
# (tests/lib/topo.py): the wireguard-go gateway device (UAPI backend) and
# the reference control plane in the gateway namespace. The test steps the
# control object's clock; nothing here waits for time to pass.
#
# usage: ctl_clock.sh TEST_CTL_CLOCK WGJIT_CP_PY
set -euo pipefail
test_bin=$1
cp_py=$2
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgjk

topo_up --kernel --no-static --cp-py "$cp_py"
gw ${CTL_WRAP:-} "$test_bin" "$WGG" "$CP_URL" "$TMP"
