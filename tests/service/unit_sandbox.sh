#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# wgjit inside the sandbox of wgjit@.service, where no systemd runs: the
# JIT topology of tests/lib/topo.py (via topo.sh), with the app started through
# the unit's settings applied by hand (unit_sandbox.py):
#
#   a mount namespace where everything is read-only but /dev, /proc (not
#   /proc/sys), the state folder and the EAL runtime folder (ProtectSystem=
#   strict, ProtectKernelTunables=, StateDirectory=, RuntimeDirectory=);
#   UMask=; LimitMEMLOCK=; the capability bounding set; NoNewPrivileges=;
#   SystemCallFilter= with its errno; RestrictAddressFamilies=;
#   MemoryDenyWriteExecute=.
#
# Inside it, wgjit must start (af_packet uplink, TAP, UAPI backend,
# SQLite, telemetry), carry plain traffic, install a never-seen client on
# its first initiation and stop cleanly on SIGTERM. Then the same command
# without CAP_NET_RAW, and without CAP_NET_ADMIN, must fail to start:
# each capability of the unit is needed.
#
# usage: unit_sandbox.sh WGJIT TEL_PY WGJIT_CP_PY UNIT_FILE UNIT_SANDBOX_PY
#        unit_sandbox.sh --inner UNIT SANDBOX_PY STATE_DIR RUN_DIR -- CMD...
set -eu

if [ "${1:-}" = --inner ]; then
	# In a new mount namespace (unshare -m): the file-system settings.
	unit=$2 sandbox=$3 state=$(realpath "$4") run=$(realpath "$5")
	shift 6
	mount --make-rprivate /
	mount --bind "$state" "$state"
	mount --bind "$run" "$run"
	mount --bind /proc/sys /proc/sys
	awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do
		case "$m" in
		"$state"|"$run") continue ;;
		/proc/sys) ;;
		/dev|/dev/*|/proc|/proc/*) continue ;;
		esac
		mount -o remount,bind,ro "$m" 2> /dev/null ||
			echo "unit_sandbox: cannot make $m read-only" >&2
	done
	touch / 2> /dev/null && { echo "unit_sandbox: / is writable" >&2; exit 125; }
	umask 077
	unset RUNTIME_DIRECTORY
	# LeakSanitizer stops the world with ptrace(), which the unit's
	# system-call filter refuses: no leak check in here (ASan build).
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	drop=()
	for c in ${SANDBOX_DROP:-}; do drop+=(--drop "$c"); done
	exec /usr/bin/python3 "$sandbox" exec "$unit" "${drop[@]}" -- "$@"
fi

REAL_WGJIT=$(realpath "$1")
TEL=$2
CP=$3
UNIT=$(realpath "$4")
SANDBOX=$(realpath "$5")
SELF=$(realpath "$0")
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgjs

# Every [Service] setting is applied here or named as not emulated.
left=$(/usr/bin/python3 "$SANDBOX" check "$UNIT") ||
	fail "settings of $UNIT the sandbox test does not know: $left"

# The app, as the unit would run it; the arguments are kept for the
# negative runs below.
mkdir -p "/var/run/dpdk/$P"
WGJIT=$TMP/wgjit-sandboxed
cat > "$WGJIT" <<EOF
#!/bin/bash
printf '%s\0' "\$@" > "$TMP/wgjit.args"
exec unshare --mount /bin/bash "$SELF" --inner "$UNIT" "$SANDBOX" "$TMP" \
	"/var/run/dpdk/$P" -- "$REAL_WGJIT" "\$@"
EOF
chmod 755 "$WGJIT"

topo_up --cp-py "$CP"
# The uplink's rings are locked memory (framecnt x 2 KiB, RX and TX): the
# topology's 4096 frames need 16 MiB, more than the LimitMEMLOCK this
# machine lets the sandbox keep (8 MiB here). DPDK's default ring fits.
topo app-start --wgjit "$WGJIT" --vdev "net_af_packet0,iface={vg}" \
	bringup.mode=initiate ||
	fail "wgjit did not start in the sandbox: $(tail -20 "$APP_LOG")"
APP_PID=$(topo pid app)
echo "sandbox: wgjit up, plain traffic through the app"
# The exec chain (ip netns exec, unshare, python) ends in wgjit itself.
st=/proc/$APP_PID/status
[ "$(readlink "/proc/$APP_PID/exe")" = "$REAL_WGJIT" ] || fail "APP_PID is not wgjit"
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13), nothing else; filters on.
grep -q '^CapEff:\s*0000000000003000$' "$st" && grep -q '^CapBnd:\s*0000000000003000$' "$st" ||
	fail "wgjit's capabilities: $(grep ^Cap "$st" | tr '\n' ' ')"
grep -q '^NoNewPrivs:\s*1$' "$st" && grep -q '^Seccomp_filters:\s*2$' "$st" ||
	fail "wgjit runs without no_new_privs or its two seccomp filters"

client A 0
topo cp-add --client A
cl ip link set "$IF_A" up
cl ping -c 1 -W 4 -I "$IF_A" "$TUN_GW" > /dev/null || fail "A: no tunnel from inside the sandbox"
wait_for 20 stat_is installs 1 || fail "installs != 1"
echo "sandbox: never-seen client installed on its first initiation"

rc=$(topo app-stop --timeout 5) || fail "wgjit did not stop on SIGTERM"
[ "$rc" = 0 ] || fail "wgjit exit status $rc after SIGTERM"
echo "sandbox: clean stop"

# Without either capability the same start fails.
mapfile -d '' args < "$TMP/wgjit.args"
declare -A why=([net_raw]='AF_PACKET socket' [net_admin]='TUNSETIFF.*not permitted')
for cap in net_raw net_admin; do
	set +e
	SANDBOX_DROP=$cap timeout 60 ip netns exec "$GW" "$WGJIT" "${args[@]}" \
		> "$TMP/no_$cap.log" 2>&1
	rc=$?
	set -e
	[ "$rc" != 0 ] && [ "$rc" != 124 ] ||
		{ tail -5 "$TMP/no_$cap.log"; fail "without $cap: exit $rc, want a failed start"; }
	grep -q "${why[$cap]}" "$TMP/no_$cap.log" ||
		{ tail -5 "$TMP/no_$cap.log"; fail "without $cap: not the failure '${why[$cap]}'"; }
	echo "sandbox: without $cap: exit $rc: $(grep -m1 'Cause:' "$TMP/no_$cap.log" || tail -1 "$TMP/no_$cap.log")"
done
echo "unit_sandbox: ok"
