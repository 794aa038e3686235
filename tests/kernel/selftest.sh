#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# Checks that run-in-vm.sh never passes silently: each broken setup must give
# status 125 and name the reason on stderr.
#   tests/kernel/selftest.sh     (root; about 30 s)

set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/run-in-vm.sh
err=$(mktemp /tmp/wgjq-selftest.XXXXXX)
trap 'rm -f "$err"' EXIT
failed=0

# expect_harness_error NAME PATTERN RUN-IN-VM-ARGS...
expect_harness_error()
{
	local name=$1 pattern=$2 rc t0 t1
	shift 2

	t0=$(date +%s)
	set +e
	"$run" "$@" > /dev/null 2> "$err"
	rc=$?
	set -e
	t1=$(date +%s)
	if [ $rc != 125 ]; then
		echo "selftest: FAIL: $name: status $rc, expected 125" >&2
		cat "$err" >&2
		failed=1
	elif ! grep -q -- "$pattern" "$err"; then
		echo "selftest: FAIL: $name: stderr lacks '$pattern':" >&2
		cat "$err" >&2
		failed=1
	else
		echo "selftest: ok: $name ($((t1 - t0)) s): $(grep -m1 -- "$pattern" "$err")"
	fi
}

kver=$(. "$here/vm-lib.sh" && vm_pick_kver)
other=
for k in /boot/vmlinuz-*; do
	[ "$k" = "/boot/vmlinuz-$kver" ] || other=$k
done

expect_harness_error "unknown kernel" "cannot read /boot/vmlinuz-wgjq-none" \
	--kver wgjq-none -- true
expect_harness_error "not a kernel" "the VM stopped" \
	--kernel /bin/busybox -- true
expect_harness_error "timeout" "no result from the VM within 8s" \
	--timeout 8 -- sleep 600
expect_harness_error "missing binary" "no such file: ./wgjq-none" -- ./wgjq-none
expect_harness_error "missing library" "lib wgjq-none.so: not an absolute path" \
	--lib wgjq-none.so -- true
if [ -n "$other" ]; then
	# Another kernel's image with this kernel's modules: insmod must fail.
	expect_harness_error "module does not load" "HARNESS-ERROR: insmod" \
		--kernel "$other" -- true
else
	echo "selftest: note: only one kernel installed, module failure not checked"
fi
[ $failed = 0 ] || exit 1
echo "selftest: ok"
