#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Install every Debian package wgjit needs to build, test and demo
# (devtools/deps.txt), only those that are missing. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
	[ -z "$pkg" ] && continue
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | \
		grep -q "install ok installed" || missing+=("$pkg")
done < devtools/deps.txt

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: need root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
