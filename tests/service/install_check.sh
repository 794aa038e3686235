#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# `meson install --destdir` of the build into a temporary folder, then:
#
#   layout  every file lands where the build's directory options say
#           (prefix /usr, sysconfdir /etc: /etc/wgjit/wgjit.conf ...),
#           nothing else is installed, every docs/*.md is installed, the
#           installed programs run, and each program's man page renders
#           without a single groff or man warning and documents every
#           telemetry command, configuration section and verdict that
#           the sources have.
#   units   the systemd units pass `systemd-analyze verify` without a
#           word on stderr (their ExecStart= pointed into the destdir,
#           their man: links resolved from it), and their exposure
#           (`systemd-analyze security --offline`) stays under a bound.
#
# usage: install_check.sh layout|units BUILD_DIR SOURCE_DIR
set -euo pipefail

mode=$1
build=$(cd "$2" && pwd)
src=$(cd "$3" && pwd)
tmp=$(mktemp -d /tmp/wgjsvc$$.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The directory options as the build resolved them (absolute paths).
eval "$(meson introspect --buildoptions "$build" | /usr/bin/python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
pfx = o["prefix"]
for k in ("bindir", "sbindir", "libdir", "sysconfdir", "datadir", "mandir"):
    print("%s=%s" % (k, os.path.join(pfx, o[k])))
')"
dest=$tmp/root
meson install -C "$build" --no-rebuild --quiet --destdir "$dest" > "$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "meson install"; }
unit_dir=$(dirname "$(find "$dest" -name 'wgjit@.service' -print -quit)")
[ "$unit_dir" != . ] || fail "no wgjit@.service installed"

check_layout() {
	local want=(
		"$sbindir/wgjit"
		"$sbindir/wgjit-exporter"
		"$bindir/wgjit-inspect"
		"$bindir/wgjit-cache"
		"$libdir/wgjit/wgjit_steer.bpf.o"
		"$sysconfdir/wgjit/wgjit.conf"
		"$sysconfdir/default/wgjit"
		"$sysconfdir/default/prometheus-wgjit-exporter"
		"$mandir/man8/wgjit.8"
		"$mandir/man8/wgjit-inspect.8"
		"$mandir/man8/wgjit-cache.8"
		"$mandir/man8/wgjit-exporter.8"
		"$datadir/doc/wgjit/README.md"
		"$datadir/doc/wgjit/img/churn.png"
		"$datadir/wgjit/grafana/wgjit.json"
		"${unit_dir#"$dest"}/wgjit@.service"
		"${unit_dir#"$dest"}/wgjit-exporter@.service"
	)
	local f md page n
	for md in "$src"/docs/*.md; do
		want+=("$datadir/doc/wgjit/$(basename "$md")")
	done
	for f in "${want[@]}"; do
		[ -f "$dest$f" ] || fail "not installed: $f"
	done
	# Nothing beyond what is listed (static libraries, tests, benches).
	(cd "$dest" && find . -type f | sed 's|^\.||' | sort) > "$tmp/have"
	printf '%s\n' "${want[@]}" | sort -u > "$tmp/want"
	grep -v -x -F -f "$tmp/want" "$tmp/have" |
		grep -v "^$datadir/doc/wgjit/img/" > "$tmp/extra" || true
	[ ! -s "$tmp/extra" ] || fail "installed but not expected: $(cat "$tmp/extra")"
	for f in "$sbindir/wgjit" "$sbindir/wgjit-exporter" "$bindir/wgjit-inspect" \
			"$bindir/wgjit-cache"; do
		[ -x "$dest$f" ] || fail "not executable: $f"
	done
	cmp -s "$src/config/wgjit.conf" "$dest$sysconfdir/wgjit/wgjit.conf" ||
		fail "installed wgjit.conf differs from config/wgjit.conf"
	/usr/bin/python3 -m json.tool "$dest$datadir/wgjit/grafana/wgjit.json" > /dev/null ||
		fail "grafana dashboard is not JSON"
	# The installed programs run from there (no build rpath needed).
	"$dest$bindir/wgjit-inspect" --help | grep -q -- '--private-key' ||
		fail "installed wgjit-inspect --help"
	/usr/bin/python3 "$dest$sbindir/wgjit-exporter" --help | grep -q -- '--file-prefix' ||
		fail "installed wgjit-exporter --help"

	# Man pages: no warnings at 80 columns, a NAME line for the page, the
	# configuration file named.
	for page in wgjit wgjit-inspect wgjit-cache wgjit-exporter; do
		f=$dest$mandir/man8/$page.8
		MANWIDTH=80 man --warnings -l "$f" > "$tmp/$page.txt" 2> "$tmp/$page.err" ||
			fail "man -l $page.8 failed: $(cat "$tmp/$page.err")"
		[ ! -s "$tmp/$page.err" ] || fail "man $page.8 warns: $(cat "$tmp/$page.err")"
		# The content checks read it unbroken (no hyphenation).
		MANWIDTH=1000 man -l "$f" > "$tmp/$page.txt" 2> /dev/null
		grep -Eq "^ +$page +- " "$tmp/$page.txt" || fail "$page.8: no NAME line for $page"
		grep -q "/etc/wgjit/wgjit.conf" "$tmp/$page.txt" ||
			fail "$page.8 does not refer to /etc/wgjit/wgjit.conf"
	done
	# wgjit(8) documents every telemetry command and configuration section.
	for n in $(grep -o '"/wgjit/[a-z_]*"' "$src/lib/telemetry/wgjit_tel.c" | tr -d '"' | sort -u); do
		grep -q -- "^       $n" "$tmp/wgjit.txt" || fail "wgjit.8 does not document $n"
	done
	for n in $(sed -n 's/^\[\([a-z_]*\)\]$/\1/p' "$src/config/wgjit.conf"); do
		grep -q -- "\[$n\]" "$tmp/wgjit.txt" || fail "wgjit.8 does not name [$n]"
	done
	# wgjit-inspect(8) documents every verdict its summary can print.
	for n in $(sed -n 's/^.*\[WGJIT_NOISE_[A-Z_0-9]*\] = "\([a-z_0-9]*\)",$/\1/p' \
			"$src/lib/proto/wgjit_noise.c" | grep -v -x identified); do
		grep -Eq -- "^       $n( |$)" "$tmp/wgjit-inspect.txt" ||
			fail "wgjit-inspect.8 does not document verdict $n"
	done
	{ "$dest$bindir/wgjit-cache" 2>&1 || true; } | grep -q 'salvage PATH' ||
		fail "installed wgjit-cache usage"
	echo "install: $(wc -l < "$tmp/have") files under $dest as configured; 4 man pages clean"
}

check_units() {
	local u inst out
	mkdir "$tmp/units"
	for u in wgjit@.service wgjit-exporter@.service; do
		sed "s|^ExecStart=/|ExecStart=$dest/|" "$unit_dir/$u" > "$tmp/units/$u"
	done
	for inst in wgjit@wg0.service wgjit-exporter@wg0.service; do
		out=$(MANPATH=$dest$mandir: SYSTEMD_LOG_COLOR=0 \
			systemd-analyze verify "$tmp/units/$inst" 2>&1) ||
			fail "systemd-analyze verify $inst: $out"
		[ -z "$out" ] || fail "systemd-analyze verify $inst says: $out"
	done
	# Exposure, 0 (locked down) to 10, in tenths: wgjit needs two
	# capabilities, devices and AF_PACKET, which the exporter does not.
	for u in wgjit@wg0.service:30 wgjit-exporter@wg0.service:20; do
		inst=${u%:*}
		out=$(systemd-analyze security --offline=yes --no-pager \
			--threshold="${u#*:}" "$tmp/units/$inst" 2>&1) ||
			fail "$inst exposure over $((${u#*:} / 10)).$((${u#*:} % 10)): $(echo "$out" | tail -1)"
		echo "units: $inst $(echo "$out" | grep -o 'exposure level.*')"
	done
	# The capabilities are exactly the documented ones.
	grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' "$unit_dir/wgjit@.service" ||
		fail "wgjit@.service: capability set changed; update operations.md and the sandbox test"
}

case "$mode" in
layout) check_layout ;;
units) check_units ;;
*) fail "unknown mode $mode" ;;
esac
