#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The Debian packages, built from a copy of the tree (git's view of it:
# tracked and untracked files that are not ignored) with
# `dpkg-buildpackage -us -uc -b`, which also runs the unit suite:
#
#   wgjit                      the gateway, wgjit-inspect, wgjit@.service,
#                              /etc/wgjit/wgjit.conf and /etc/default/wgjit
#                              as conffiles, the man pages, the docs
#   prometheus-wgjit-exporter  the exporter, its unit, man page, dashboard
#
# and `lintian` on the result must report no error and no warning
# (overrides carry a reason in debian/*.lintian-overrides). About 1-2
# minutes on 2 cores.
#
# usage: deb_package.sh SOURCE_DIR
set -euo pipefail

src=$(cd "$1" && pwd)
for p in dpkg-buildpackage dh lintian; do
	command -v $p > /dev/null || { echo "SKIP: $p missing"; exit 77; }
done
tmp=$(mktemp -d /tmp/wgjdeb$$.XXXXXX)
trap '[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir "$tmp/wgjit"
if git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && xargs -0 cp --parents -a -t "$tmp/wgjit")
else
	tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tmp/wgjit" -xf -
fi
[ -f "$tmp/wgjit/debian/control" ] || fail "no debian/control in the copy"

(cd "$tmp/wgjit" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1 ||
	{ tail -40 "$tmp/build.log"; fail "dpkg-buildpackage"; }
grep -E '^ *Ok: *[0-9]+' "$tmp/build.log" | tail -1 | sed 's/^ */build: unit suite /'

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
deb=$tmp/wgjit_${version}_$arch.deb
exp=$tmp/prometheus-wgjit-exporter_${version}_all.deb
changes=$tmp/wgjit_${version}_$arch.changes
for f in "$deb" "$exp" "$changes"; do
	[ -f "$f" ] || fail "not built: $(basename "$f")"
done

# has DEB PATH...: every PATH is in the package.
has() {
	local deb=$1 p
	shift
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\.||' > "$tmp/list"
	for p in "$@"; do
		grep -qx -- "$p" "$tmp/list" || fail "$(basename "$deb") lacks $p"
	done
}
has "$deb" /usr/sbin/wgjit /usr/bin/wgjit-inspect /usr/bin/wgjit-cache \
	/etc/wgjit/wgjit.conf \
	/etc/default/wgjit /lib/systemd/system/wgjit@.service \
	/usr/share/man/man8/wgjit.8.gz /usr/share/man/man8/wgjit-inspect.8.gz \
	/usr/share/doc/wgjit/copyright /usr/share/doc/wgjit/architecture.md.gz \
	/var/lib/wgjit/
has "$exp" /usr/sbin/wgjit-exporter /lib/systemd/system/wgjit-exporter@.service \
	/usr/share/man/man8/wgjit-exporter.8.gz /usr/share/wgjit/grafana/wgjit.json \
	/etc/default/prometheus-wgjit-exporter
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles > "$tmp/conffiles"
for c in /etc/wgjit/wgjit.conf /etc/default/wgjit; do
	grep -qx "$c" "$tmp/conffiles" || fail "$c is not a conffile: $(cat "$tmp/conffiles")"
done
# Whole outputs first, then grep: with pipefail, a grep -q that stops
# reading early makes the writer die of SIGPIPE and fails the check.
deps=$(dpkg-deb -f "$deb" Depends)
grep -q 'librte-eal23' <<<"$deps" || fail "no shared-library dependencies"
deps=$(dpkg-deb -f "$exp" Depends)
grep -q 'python3-prometheus-client' <<<"$deps" || fail "exporter depends"
# The unit in the package runs the packaged binary.
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/wgjit@.service \
	> "$tmp/unit"
grep -q '^ExecStart=/usr/sbin/wgjit ' "$tmp/unit" || fail "wgjit@.service does not run /usr/sbin/wgjit"

lintian --fail-on error,warning --display-info "$changes" > "$tmp/lintian.log" 2>&1 ||
	{ cat "$tmp/lintian.log"; fail "lintian"; }
echo "lintian: $(grep -c . "$tmp/lintian.log" || true) info/pedantic line(s), no error or warning"
sed 's/^/  /' "$tmp/lintian.log"
for f in "$deb" "$exp"; do
	echo "built: $(basename "$f") ($(du -k "$f" | cut -f1) KiB)"
done
