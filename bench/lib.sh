# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Shared by the bench/run-*.sh scripts (sourced, not run). Sets ROOT,
# BUILD, PY (Debian's python3 with scapy/cryptography), TMP, and traps
# cleanup of everything the script started (by pid) and of its DPDK
# runtime dirs. Callers set P (a unique prefix) before sourcing.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
PY=/usr/bin/python3
TMP=$(mktemp -d "/tmp/$P.XXXXXX")
BENCH_PIDS=()
BENCH_NETNS=()

bench_cleanup() {
	set +e
	for p in "${BENCH_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BENCH_PIDS[@]}"; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for ns in "${BENCH_NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.2
	for ns in "${BENCH_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf /var/run/dpdk/"$P"*
	if [ -n "${KEEP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$0: $*" >&2; exit 1; }

# Build only the targets a script needs, in its own build dir.
bench_build() {
	[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" >/dev/null ||
		die "meson setup $BUILD failed"
	ninja -C "$BUILD" "$@" >/dev/null || die "ninja $* failed"
}

# Hugepages: 64 x 2 MiB reserved and hugetlbfs mounted (idempotent; the
# mount point is made where the host has none, e.g. a bare VM).
bench_hugepages() {
	local n
	n=$(cat /proc/sys/vm/nr_hugepages)
	[ "$n" -ge 64 ] || echo 64 > /proc/sys/vm/nr_hugepages
	mountpoint -q /dev/hugepages || {
		mkdir -p /dev/hugepages &&
			mount -t hugetlbfs nodev /dev/hugepages
	} || die "cannot mount hugetlbfs on /dev/hugepages"
}

bench_machine() {
	echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# wire_up and wait_for, shared with the tests.
# shellcheck source=tests/lib/netns-wire.sh
. "$ROOT/tests/lib/netns-wire.sh"

# wgjit on a pcap uplink (port 0) with net_null (port 1) as its exception
# path, identifying with $TMP/gw.key: bench_conf RATE BURST writes
# $TMP/wgjit.conf with that per-source rate limit.
bench_conf() {
	cat > "$TMP/wgjit.conf" <<-CONF
	[wireguard]
	listen_port = 51820
	private_key_file = $TMP/gw.key
	[uplink]
	port = 0
	[tap]
	port = 1
	[ratelimit]
	per_source_rate = $1
	per_source_burst = $2
	CONF
}


# Median of numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# Percentile P (0..100) of numbers on stdin, nearest rank.
percentile() { sort -g | awk -v p="$1" '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} i=int((p*NR+99)/100); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
