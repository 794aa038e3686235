#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# /init of the test VM (busybox sh). Loads the 9p modules, mounts the result
# folder (tag wgjitres) and the shared folders listed in /result/config at
# their host paths, loads wireguard (and virtio_net with --net), creates wg0,
# runs /result/cmd.sh and writes its status and output into /result. Any
# harness failure goes to /result/harness_error and to the console, prefixed
# with "WGJIT-VM:", then the VM powers off.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
/bin/busybox --install -s /bin

say()
{
	echo "WGJIT-VM: $*" > /dev/console
}

halt_vm()
{
	sync
	umount -a -r 2> /dev/null
	poweroff -f
	# poweroff -f does not return; if it does, panic=-1 reboots and
	# qemu -no-reboot exits.
	exit 1
}

die()
{
	say "HARNESS-ERROR: $*"
	if grep -q ' /result 9p ' /proc/mounts; then
		echo "$*" > /result/harness_error
	fi
	halt_vm
}

stage()
{
	read -r up _ < /proc/uptime
	echo "$1 $up" >> /result/stages
}

load_list()
{
	local m name out

	while read -r m; do
		# Groups share dependencies (virtio, 9pnet): load each once.
		name=${m##*/}
		name=${name%.ko}
		[ ! -d "/sys/module/$(echo "$name" | tr - _)" ] || continue
		out=$(insmod "$m" 2>&1) || die "insmod $m failed: $out"
	done < "/lib/wgjit/$1.list"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2> /dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /dev/pts /dev/shm
ln -s /proc/self/fd /dev/fd 2> /dev/null

load_list share
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=262144 \
	wgjitres /result || die "cannot mount the result folder (9p tag wgjitres)"
stage boot
[ -r /result/config ] || die "no /result/config"
. /result/config

for s in $WGJIT_SHARES; do
	tag=${s%%=*}
	path=${s#*=}
	mkdir -p "$path" || die "mkdir $path failed"
	mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=262144 \
		"$tag" "$path" || die "cannot mount share $tag at $path"
done

ip link set lo up || die "ip link set lo up failed"
load_list wireguard
stage modules

if [ "$WGJIT_NET" = 1 ]; then
	load_list net
	ip link set eth0 up || die "no eth0 (virtio_net)"
	ip addr add "$WGJIT_ETH0_ADDR" dev eth0 || die "ip addr add $WGJIT_ETH0_ADDR failed"
fi

if [ "$WGJIT_WG0" = 1 ]; then
	out=$(ip link add wg0 type wireguard 2>&1) ||
		die "ip link add wg0 type wireguard failed: $out"
	out=$(wg set wg0 private-key /result/wg0.key listen-port "$WGJIT_WG0_PORT" 2>&1) ||
		die "wg set wg0 private-key/listen-port failed: $out"
	ip addr add "$WGJIT_WG0_ADDR" dev wg0 || die "ip addr add $WGJIT_WG0_ADDR failed"
	ip link set wg0 up || die "ip link set wg0 up failed"
fi
stage ready

cd "$WGJIT_CWD" || die "cd $WGJIT_CWD failed"
export WGJIT_VM_RESULT=/result HOME=/tmp
sh /result/cmd.sh < /dev/null > /result/output 2>&1
rc=$?
stage "done"
echo "$rc" > /result/status.tmp && mv /result/status.tmp /result/status ||
	die "cannot write /result/status"
halt_vm
