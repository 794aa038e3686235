#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The one command that runs every test on a fresh Debian 12 machine:
# installs the packages, builds, runs all meson suites (unit, fuzz smoke,
# integration with real wireguard-go, DPDK and qemu, valgrind) and the
# end-to-end DTS suite (dts/, pytest) in both uplink modes, then builds
# again under ASan+UBSan and runs unit, fuzz and integration there, then
# the libFuzzer targets under clang. Ends with
# "N passed, N failed" and exits non-zero on any failure. On CI (CI=true)
# a skipped test counts as a failure: every test must run there.
set -uo pipefail
cd "$(dirname "$0")/.."

devtools/setup.sh || exit 1

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

run_suites() {
	local dir=$1; shift
	meson test -C "$dir" --print-errorlogs "$@"
	/usr/bin/python3 - "$dir/meson-logs/testlog.json" "$dir" >> "$summary" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print(t["result"], sys.argv[2] + ":" + t["name"])
PY
}

devtools/build.sh build || { echo "0 passed, 1 failed"; exit 1; }
run_suites build ${WGJIT_TEST_ARGS:-}

# The end-to-end DTS suite (pytest; real peers, hostile input, faults,
# churn), in both uplink modes: bump (af_packet) and steer (net_af_xdp
# with wgjit's XDP program, the kernel keeping the veth). Each case is one
# result line.
dts_run() { # UPLINK
	WGJIT=$PWD/build/app/wgjit/wgjit DTS_UPLINK=$1 DTS_OUT=build/dts-$1 \
		/usr/bin/python3 -m pytest dts -q -p no:cacheprovider -rxX \
		--junitxml="build/dts-$1-junit.xml"
	/usr/bin/python3 - "build/dts-$1-junit.xml" "$1" >> "$summary" <<'PY' ||
import sys
import xml.etree.ElementTree as ET
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    tags = {c.tag for c in case}
    res = "FAIL" if tags & {"failure", "error"} else \
        "SKIP" if "skipped" in tags else "OK"
    print(res, f"dts-{sys.argv[2]}:" + case.get("name"))
PY
		echo "FAIL dts-$1:no-results" >> "$summary"
}
if [ -z "${WGJIT_NO_DTS:-}" ]; then
	dts_run bump
	dts_run steer
fi

if [ -z "${WGJIT_NO_SANITIZE:-}" ]; then
	if devtools/build.sh build-asan -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbuildtype=debug; then
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_suites build-asan --suite unit --suite fuzz --suite integration
	else
		echo "FAIL build-asan:build" >> "$summary"
	fi
fi

# Coverage-guided libFuzzer runs (clang): build only the fuzz targets.
if [ -z "${WGJIT_NO_FUZZ:-}" ]; then
	if CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null 2>&1 || \
			[ -f build-fuzz/build.ninja ]; then
		targets=$(meson introspect --targets build-fuzz | /usr/bin/python3 -c \
			'import json,sys; print(" ".join(t["name"] for t in json.load(sys.stdin) if t["name"].startswith("fuzz_")))')
		if meson compile -C build-fuzz $targets >/dev/null; then
			run_suites build-fuzz --no-rebuild --suite fuzz
		else
			echo "FAIL build-fuzz:build" >> "$summary"
		fi
	else
		echo "FAIL build-fuzz:setup" >> "$summary"
	fi
fi

echo
echo "== results"
grep -v '^OK ' "$summary" || true
passed=$(grep -c '^OK ' "$summary")
skipped=$(grep -c '^SKIP ' "$summary")
failed=$(grep -vc -e '^OK ' -e '^SKIP ' "$summary")
if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
	echo "CI: $skipped skipped test(s) count as failures"
	failed=$((failed + skipped))
	skipped=0
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
