# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Helpers shared by run-in-vm.sh: pick the Debian kernel, build (and cache)
# the initramfs, and pack the shared libraries a dynamic binary needs.
# Sourced by bash; every function returns non-zero with a message on stderr.

vm_err()
{
	echo "run-in-vm: error: $*" >&2
}

# Print the kernel version to boot: $WGJIT_VM_KVER, else the one the
# linux-image-amd64 metapackage points at, else the newest kernel that has a
# vmlinuz in /boot and a wireguard module.
vm_pick_kver()
{
	local kver dep

	if [ -n "${WGJIT_VM_KVER:-}" ]; then
		echo "$WGJIT_VM_KVER"
		return 0
	fi
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) || dep=
	kver=$(echo "$dep" | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
	if [ -n "$kver" ] && [ -e "/boot/vmlinuz-$kver" ]; then
		echo "$kver"
		return 0
	fi
	for kver in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -rV); do
		if [ -e "/boot/vmlinuz-$kver" ] &&
		   [ -n "$(find "/lib/modules/$kver" -name 'wireguard.ko*' 2>/dev/null)" ]; then
			echo "$kver"
			return 0
		fi
	done
	vm_err "no kernel with a wireguard module in /boot and /lib/modules;" \
		"install linux-image-amd64 (devtools/deps.txt)"
	return 1
}

# Print the module files that `modprobe --show-depends` gives for each name,
# in load order, without duplicates and without built-ins.
vm_module_paths()
{
	local kver=$1 name out
	shift

	for name in "$@"; do
		if ! out=$(modprobe -S "$kver" --show-depends "$name" 2>&1); then
			vm_err "modprobe -S $kver --show-depends $name: $out"
			return 1
		fi
		echo "$out"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# Copy one module into DIR, decompressed, and print its path inside the VM.
vm_copy_module()
{
	local src=$1 root=$2 base dst

	base=$(basename "$src")
	case "$base" in
	*.ko.xz) dst=${base%.xz}; xz -dc "$src" > "$root/lib/wgjit/mod/$dst" ;;
	*.ko.zst) dst=${base%.zst}; zstd -qdc "$src" > "$root/lib/wgjit/mod/$dst" ;;
	*.ko.gz) dst=${base%.gz}; gzip -dc "$src" > "$root/lib/wgjit/mod/$dst" ;;
	*.ko) dst=$base; cp "$src" "$root/lib/wgjit/mod/$dst" ;;
	*) vm_err "unknown module format: $src"; return 1 ;;
	esac || { vm_err "cannot decompress $src"; return 1; }
	echo "/lib/wgjit/mod/$dst"
}

# Write the ordered module list NAME.list for a group of top modules.
vm_module_group()
{
	local kver=$1 root=$2 list=$3 paths p
	shift 3

	paths=$(vm_module_paths "$kver" "$@") || return 1
	: > "$root/lib/wgjit/$list.list"
	for p in $paths; do
		vm_copy_module "$p" "$root" >> "$root/lib/wgjit/$list.list" || return 1
	done
}

# Copy an ELF binary's shared libraries and loader into ROOT (same paths).
vm_copy_libs()
{
	local bin=$1 root=$2 out lib

	if ! out=$(ldd "$bin" 2>&1); then
		case "$out" in
		*"not a dynamic executable"*) return 0 ;;
		esac
		vm_err "ldd $bin: $out"
		return 1
	fi
	if echo "$out" | grep -q 'not found'; then
		vm_err "ldd $bin: missing libraries:"
		echo "$out" | grep 'not found' >&2
		return 1
	fi
	for lib in $(echo "$out" | awk '{ for (i = 1; i <= NF; i++)
			if ($i ~ /^\//) print $i }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib" || return 1
	done
}

vm_pack_cpio()
{
	local root=$1 out=$2

	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	 cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp" &&
		mv "$out.tmp" "$out"
}

# Build the base initramfs for KVER into OUT: static busybox, iproute2's ip
# and wireguard-tools' wg with their libraries, the modules (9p, virtio_net,
# wireguard) decompressed with their load-order lists, and the guest /init.
vm_build_initramfs()
{
	local kver=$1 out=$2 init=$3 root b path

	root=$(mktemp -d "${out%/*}/root.XXXXXX") || return 1
	mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin \
		"$root"/lib/wgjit/mod "$root"/proc "$root"/sys "$root"/dev \
		"$root"/tmp "$root"/run "$root"/etc "$root"/result || return 1
	mknod -m 600 "$root/dev/console" c 5 1 &&
	mknod -m 666 "$root/dev/null" c 1 3 || { vm_err "mknod failed"; return 1; }
	mkdir -p "$root/var" && ln -s /run "$root/var/run" || return 1
	b=$(command -v busybox) || { vm_err "busybox missing"; return 1; }
	if ! file -L "$b" | grep -q 'statically linked'; then
		vm_err "$b is not static: install busybox-static (devtools/deps.txt)"
		return 1
	fi
	cp "$b" "$root/bin/busybox"
	for b in ip wg; do
		path=$(command -v $b) || { vm_err "$b not found on the host"; return 1; }
		cp -L "$path" "$root/usr/sbin/$b"
		vm_copy_libs "$path" "$root" || return 1
	done
	cp "$init" "$root/init" && chmod 755 "$root/init"
	vm_module_group "$kver" "$root" share virtio_pci 9pnet_virtio 9p || return 1
	vm_module_group "$kver" "$root" net virtio_net || return 1
	vm_module_group "$kver" "$root" wireguard wireguard || return 1
	echo "$kver" > "$root/lib/wgjit/kver"
	vm_pack_cpio "$root" "$out" || { vm_err "cpio failed"; return 1; }
	rm -rf "$root"
}

# Print the cached initramfs for KVER, building it when missing or when one
# of its inputs changed (the key hashes the inputs).
vm_initramfs()
{
	local kver=$1 cache=$2 init=$3 key dir out

	key=$(cat "$init" "${BASH_SOURCE[0]}" "$(command -v busybox)" \
		"$(command -v wg)" "$(command -v ip)" | sha256sum | cut -c1-12)
	dir=$cache/$kver
	out=$dir/initramfs-$key.cpio.gz
	if [ ! -s "$out" ]; then
		mkdir -p "$dir" || return 1
		rm -f "$dir"/initramfs-*.cpio.gz
		echo "run-in-vm: building $out" >&2
		vm_build_initramfs "$kver" "$out" "$init" || return 1
	fi
	echo "$out"
}
