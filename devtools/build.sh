#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# usage: devtools/build.sh [BUILD_DIR [MESON_SETUP_ARGS...]]
# Configure (once) and build wgjit with meson and ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
else
	meson setup --reconfigure "$dir" "$@" >/dev/null
fi
ninja -C "$dir"
