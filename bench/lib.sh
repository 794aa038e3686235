# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Shared by the bench/run-*.sh scripts (sourced, not run). Callers set
# TAG (a short name) before sourcing. Sets ROOT, BUILD, PY (Debian's
# python3 with scapy/cryptography) and the topology of tests/lib/topo.sh
# for prefix P = TAG + pid: its names and keys, its state dir TMP, and the
# cleanup on exit of PIDS (what the script started), of everything
# topo.py started, and of the DPDK runtime dirs P and P_*.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
PY=/usr/bin/python3
# shellcheck source=tests/lib/topo.sh
. "$ROOT/tests/lib/topo.sh"
topo_init "$TAG"

die() { echo "$0: $*" >&2; exit 1; }

# Build only the targets a script needs, in its own build dir.
bench_build() {
	[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" >/dev/null ||
		die "meson setup $BUILD failed"
	ninja -C "$BUILD" "$@" >/dev/null || die "ninja $* failed"
}

# Hugepages: 160 x 2 MiB reserved and hugetlbfs mounted (idempotent; the
# mount point is made where the host has none, e.g. a bare VM): one wgjit
# with one worker takes ~120 MiB with the default [control] sizes.
bench_hugepages() {
	local n
	n=$(cat /proc/sys/vm/nr_hugepages)
	[ "$n" -ge 160 ] || echo 160 > /proc/sys/vm/nr_hugepages
	mountpoint -q /dev/hugepages || {
		mkdir -p /dev/hugepages &&
			mount -t hugetlbfs nodev /dev/hugepages
	} || die "cannot mount hugetlbfs on /dev/hugepages"
}

bench_machine() {
	echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# wgjit on a pcap uplink (port 0) with net_null (port 1) as its exception
# path, identifying with the gateway's key: bench_conf RATE BURST writes
# $TMP/wgjit.conf with that per-source rate limit.
bench_conf() { # RATE BURST [S.KEY=V...]
	local rate=$1 burst=$2
	shift 2
	topo conf "$TMP/wgjit.conf" uplink.port=0 tap.port=1 \
		ratelimit.per_source_rate="$rate" ratelimit.per_source_burst="$burst" "$@"
}

# bench_argv ARRAY ARGS...: wgjit's command line (or with --eal its EAL
# options, for testpmd beside it), from topo.py argv ARGS, into ARRAY.
bench_argv() {
	local -n _argv=$1
	local out
	shift
	out=$(topo argv "$@") || die "topo.py argv $*"
	mapfile -t _argv <<<"$out"
}


# Median of numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# Median of numbers given as arguments or space-separated in them.
median_of() { tr ' ' '\n' <<<"$*" | grep . | median; }
# Percentile P (0..100) of numbers on stdin, nearest rank.
percentile() { sort -g | awk -v p="$1" '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} i=int((p*NR+99)/100); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
