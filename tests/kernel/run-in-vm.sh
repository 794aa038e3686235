#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Run one command inside a Debian kernel under qemu (TCG), next to a real
# kernel WireGuard interface wg0, and return the command's exit status.
#
#   tests/kernel/run-in-vm.sh [options] -- CMD [ARGS...]
#
# Inside the VM: busybox (static; its sh runs its own applets first, so
# iproute2 is /usr/sbin/ip), wireguard-tools `wg`;
# wireguard.ko is loaded, wg0 exists, has a private key (--wg-key or a fresh
# one), listens on port 51820 and is up with address 10.253.0.1/24. The repo
# (and any --share DIR, and the folder of CMD if it is a path) is mounted at
# the same path as on the host, read-write; the cwd is kept when it lies in a
# share. A CMD under /usr, /bin, /sbin or /lib is copied in, not shared.
# CMD runs under busybox sh with stdin from /dev/null; if it is a
# dynamically linked ELF its libraries are carried in. $WGJIT_VM_RESULT is a
# folder shared with the host (removed after the run).
#
# Options:
#   --net            add a virtio NIC: eth0 = 10.254.0.2/24 in the VM, linked
#                    by a tap to a host netns where the tap has 10.254.0.1/24
#   --netns NAME     the host netns for --net (must exist; default: a new
#                    one, wgjqvm<pid>, deleted afterwards)
#   --share DIR      also mount DIR at its own path (repeatable)
#   --bin PATH       carry a host binary (and its libraries) into /usr/bin
#   --lib PATH       carry a shared object (and the libraries it needs) to the
#                    same absolute path, for what a binary dlopen()s
#   --wg-key FILE    base64 private key for wg0 (default: wg genkey)
#   --no-wg0         do not create wg0
#   --timeout SEC    give up after SEC seconds (default 60, $WGJIT_VM_TIMEOUT)
#   --kver VERSION   kernel to boot (default: see vm_pick_kver, $WGJIT_VM_KVER)
#   --kernel FILE    boot FILE instead of /boot/vmlinuz-<kver> (modules still
#                    come from /lib/modules/<kver>; $WGJIT_VM_KERNEL)
#   --console        print the VM console log even on success
#
# Exit status: the command's own; 125 when the harness fails (missing
# packages, VM does not boot, module does not load, no result in time); the
# reason is printed on stderr, with the tail of the console log.
# The initramfs is cached per kernel version under $WGJIT_VM_CACHE, else the
# meson build dir that holds CMD, else <repo>/build, in kernel-vm/<kver>/.

set -u

HARNESS_FAIL=125
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/vm-lib.sh"

usage()
{
	sed -n '5,/^set -u/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

fail()
{
	vm_err "$*"
	exit $HARNESS_FAIL
}

net=0 netns='' wg0=1 wg_key='' console=0 kver=${WGJIT_VM_KVER:-}
kernel=${WGJIT_VM_KERNEL:-}
timeout_s=${WGJIT_VM_TIMEOUT:-60}
shares=("$repo") bins=() libs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--net) net=1 ;;
	--netns) [ $# -ge 2 ] || usage; netns=$2; shift ;;
	--share) [ $# -ge 2 ] || usage; shares+=("$2"); shift ;;
	--bin) [ $# -ge 2 ] || usage; bins+=("$2"); shift ;;
	--lib) [ $# -ge 2 ] || usage; libs+=("$2"); shift ;;
	--wg-key) [ $# -ge 2 ] || usage; wg_key=$2; shift ;;
	--no-wg0) wg0=0 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift ;;
	--kver) [ $# -ge 2 ] || usage; kver=$2; shift ;;
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift ;;
	--console) console=1 ;;
	--) shift; break ;;
	*) vm_err "unknown option: $1"; usage ;;
	esac
	shift
done
[ $# -ge 1 ] || usage
case "$timeout_s" in
''|*[!0-9]*) fail "--timeout wants whole seconds, got '$timeout_s'" ;;
esac
[ -z "$netns" ] || [ $net = 1 ] || fail "--netns needs --net"

for p in qemu-system-x86_64 busybox wg ip cpio gzip ldd file modprobe timeout flock; do
	command -v $p > /dev/null ||
		fail "$p not found: install the packages in devtools/deps.txt"
done
[ -n "$kver" ] || kver=$(vm_pick_kver) || exit $HARNESS_FAIL
[ -n "$kernel" ] || kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || fail "cannot read $kernel"

# The command: a path is resolved on the host and its folder shared.
cmd=("$@")
build_dir=
sysbin=0
if [[ "${cmd[0]}" == */* ]]; then
	bin=$(realpath -e "${cmd[0]}" 2>/dev/null) || fail "no such file: ${cmd[0]}"
	[ -x "$bin" ] || fail "not executable: $bin"
	cmd[0]=$bin
	case "$bin" in
	/usr/*|/bin/*|/sbin/*|/lib*) sysbin=1 ;;	# carried, not shared
	*) shares+=("$(dirname "$bin")") ;;
	esac
	d=$(dirname "$bin")
	while [ "$d" != / ]; do
		if [ -e "$d/build.ninja" ]; then
			build_dir=$d
			break
		fi
		d=$(dirname "$d")
	done
fi
cache=${WGJIT_VM_CACHE:-${build_dir:-$repo/build}/kernel-vm}

res=$(mktemp -d /tmp/wgjit-vm.XXXXXX) || fail "mktemp failed"
created_ns=
tap=
qpid=
cleanup()
{
	if [ -n "$qpid" ]; then
		kill "$qpid" 2> /dev/null
		wait "$qpid" 2> /dev/null
	fi
	[ -z "$tap" ] || ip -n "$netns" link del "$tap" 2> /dev/null
	[ -z "$created_ns" ] || ip netns del "$created_ns" 2> /dev/null
	rm -rf "$res"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Initramfs: the cached base plus a small archive with this run's binaries.
mkdir -p "$cache" || fail "cannot create $cache"
exec 9> "$cache/.lock" && flock 9 || fail "cannot lock $cache/.lock"
init=$(vm_initramfs "$kver" "$cache" "$here/vm-init.sh") ||
	fail "initramfs build failed for $kver"
exec 9>&-
mkdir -p "$res/extra/usr/bin"
for b in "${bins[@]}"; do
	p=$(command -v "$b") || fail "--bin $b: not found"
	cp -L "$p" "$res/extra/usr/bin/" || fail "cannot copy $p"
	vm_copy_libs "$p" "$res/extra" || fail "cannot carry the libraries of $p"
done
for l in "${libs[@]}"; do
	[[ "$l" == /* ]] && [ -f "$l" ] || fail "--lib $l: not an absolute path to a file"
	mkdir -p "$res/extra$(dirname "$l")" && cp -L "$l" "$res/extra$l" ||
		fail "cannot copy $l"
	vm_copy_libs "$l" "$res/extra" || fail "cannot carry the libraries of $l"
done
if [ $sysbin = 1 ]; then
	mkdir -p "$res/extra$(dirname "$bin")" && cp "$bin" "$res/extra$bin" ||
		fail "cannot copy $bin"
fi
if [ -n "${bin:-}" ] && file -L "$bin" | grep -q 'ELF.*dynamically linked'; then
	vm_copy_libs "$bin" "$res/extra" || fail "cannot carry the libraries of $bin"
fi
vm_pack_cpio "$res/extra" "$res/extra.cpio.gz" || fail "cannot pack $res/extra"
cat "$init" "$res/extra.cpio.gz" > "$res/initramfs.cpio.gz"
rm -rf "$res/extra" "$res/extra.cpio.gz"

# The result folder holds the config, the command and the results. Only the
# VM's outputs live in out/, so the initramfs is not exported.
out=$res/out
mkdir "$out"
{
	printf 'exec'
	for a in "${cmd[@]}"; do
		printf " '%s'" "${a//\'/\'\\\'\'}"
	done
	printf '\n'
} > "$out/cmd.sh"

cwd=/
virtfs=(-virtfs "local,path=$out,mount_tag=wgjitres,security_model=none")
share_cfg=
declare -A seen=()
i=0
for s in "${shares[@]}"; do
	s=$(realpath -e "$s" 2>/dev/null) || fail "--share: no such folder: $s"
	[ -z "${seen[$s]:-}" ] || continue
	seen[$s]=1
	[[ "$s" != *[[:space:]=\']* ]] || fail "share path must not hold blanks, = or ': $s"
	virtfs+=(-virtfs "local,path=$s,mount_tag=wgjit$i,security_model=none,multidevs=remap")
	share_cfg+=" wgjit$i=$s"
	case "$PWD/" in "$s"/*) cwd=$PWD ;; esac
	i=$((i + 1))
done

if [ $wg0 = 1 ]; then
	if [ -n "$wg_key" ]; then
		cp "$wg_key" "$out/wg0.key" || fail "cannot read --wg-key $wg_key"
	else
		(umask 077 && wg genkey > "$out/wg0.key") || fail "wg genkey failed"
	fi
	wg pubkey < "$out/wg0.key" > "$out/wg0.pub" || fail "bad wg0 private key"
fi
cat > "$out/config" <<EOF
WGJIT_SHARES='$share_cfg'
WGJIT_CWD='$cwd'
WGJIT_WG0=$wg0
WGJIT_WG0_PORT=51820
WGJIT_WG0_ADDR=10.253.0.1/24
WGJIT_NET=$net
WGJIT_ETH0_ADDR=10.254.0.2/24
EOF

nic=(-nic none)
ns_exec=()
if [ $net = 1 ]; then
	if [ -z "$netns" ]; then
		netns=wgjqvm$$
		ip netns add "$netns" || fail "ip netns add $netns failed"
		created_ns=$netns
	fi
	ip netns pids "$netns" > /dev/null 2>&1 || fail "no netns $netns"
	tap=wgjqtap$$
	ip -n "$netns" tuntap add dev "$tap" mode tap ||
		fail "cannot create tap $tap in $netns"
	ip -n "$netns" addr add 10.254.0.1/24 dev "$tap" &&
	ip -n "$netns" link set "$tap" up &&
	ip -n "$netns" link set lo up || fail "cannot set up tap $tap in $netns"
	nic=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no"
	     -device "virtio-net-pci,netdev=n0,romfile=")
	ns_exec=(ip netns exec "$netns")
fi

t0=$(date +%s.%N)
"${ns_exec[@]}" timeout -k 5 "$timeout_s" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 1 -m 512 \
	-nodefaults -nographic -no-reboot -monitor none -serial "file:$res/console.log" \
	-kernel "$kernel" -initrd "$res/initramfs.cpio.gz" \
	-append 'console=ttyS0 panic=-1 quiet' \
	"${virtfs[@]}" "${nic[@]}" < /dev/null > "$res/qemu.log" 2>&1 &
qpid=$!
wait $qpid
qrc=$?
qpid=
t1=$(date +%s.%N)

show_console()
{
	echo "run-in-vm: --- console log (tail) ---" >&2
	tail -n 40 "$res/console.log" >&2 2> /dev/null
	[ ! -s "$res/qemu.log" ] || { echo "run-in-vm: --- qemu ---" >&2; cat "$res/qemu.log" >&2; }
	if [ -s "$out/output" ]; then
		echo "run-in-vm: --- partial command output ---" >&2
		cat "$out/output" >&2
	fi
}

if [ ! -e "$out/status" ]; then
	if [ -s "$out/harness_error" ]; then
		vm_err "in the VM: $(cat "$out/harness_error")"
	elif grep -q 'WGJIT-VM: HARNESS-ERROR' "$res/console.log" 2> /dev/null; then
		vm_err "in the VM: $(grep -ao 'WGJIT-VM: HARNESS-ERROR.*' "$res/console.log")"
	elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
		vm_err "no result from the VM within ${timeout_s}s (kernel $kver)"
	else
		vm_err "the VM stopped (qemu status $qrc) without a result (kernel $kver)"
	fi
	show_console
	exit $HARNESS_FAIL
fi
rc=$(cat "$out/status")
case "$rc" in
''|*[!0-9]*) vm_err "bad status file: '$rc'"; show_console; exit $HARNESS_FAIL ;;
esac
[ $console = 0 ] || cat "$res/console.log" >&2
cat "$out/output"
if [ -n "${WGJIT_VM_TIMING:-}" ]; then
	printf 'run-in-vm: kernel %s, host wall %.2fs, guest uptime at:' "$kver" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" >&2
	while read -r st up; do printf ' %s %ss' "$st" "$up" >&2; done < "$out/stages"
	echo >&2
fi
exit "$rc"
