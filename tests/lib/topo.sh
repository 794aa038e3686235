# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The test topology for shell tests, sourced: a thin front end of
# tests/lib/topo.py, which holds every fact (names, addresses, ports, the
# wire, the gateway, wgjit's command line and configuration; see there).
#
#   topo_init TAG       P=TAG$$ and its state dir $TMP; exports the names
#                       and facts (GW CL VG VC TAP WGG GW_ADDR CL_ADDR
#                       WIRE_PLEN TUN_GW GW_PORT GW_PUB GW_KEY STATIC
#                       STATIC_KEY APP_LOG);
#                       exits 77 (skip) without root or tools; on EXIT
#                       stops $PIDS, then everything topo.py started
#   topo CMD ...        topo.py CMD on $TMP (app-start, cp-add, ...)
#   topo_up [ARGS]      topo.py up ARGS, then the names again (CP_URL)
#   client NAME SLOT    a keyed wireguard-go client, link down; sets
#                       IF_NAME ADDR_NAME PORT_NAME PUB_NAME
#   client_key NAME [--key FILE] [--port N], client_restart NAME
#   cvar FIELD NAME     FIELD (IF ADDR PORT PUB) of client NAME
#   gw CMD, cl CMD      CMD in the gateway / client namespace (in the
#                       background, $! is a subshell: use ip netns exec)
#   tel CMD [--flat]    one telemetry command to wgjit ($TEL: wgjit_tel.py)
#   stat_of NAME, stat_is NAME VALUE: a /wgjit/stats counter
#   wait_for TENTHS CMD...: poll CMD until it succeeds; 1 after TENTHS/10 s
#   fail MSG            MSG, the tail of wgjit's log and its stats; exit 1
#
# A test may set TEL before sourcing; KEEP=1 keeps $TMP.

TOPO_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/topo.py
TEL=${TEL:-$(dirname "$TOPO_PY")/../app/wgjit_tel.py}
PIDS=()

topo() { /usr/bin/python3 "$TOPO_PY" "$@"; }

topo_init() {
	local rc=0
	topo check || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
	umask 077	# keys
	P=$1$$
	TMP=$(mktemp -d "/tmp/$P.XXXXXX")
	export TOPO_STATE=$TMP
	trap topo_cleanup EXIT
	trap 'exit 130' INT TERM
	topo init --prefix "$P" || exit 1
	eval "$(topo env)"
}

topo_cleanup() {
	set +e
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		wait_for 30 _topo_gone "$p" || kill -KILL "$p" 2>/dev/null
	done
	topo down ${KEEP:+--keep}
	if [ -n "${KEEP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
_topo_gone() { ! kill -0 "$1" 2>/dev/null; }

topo_up() { topo up "$@" && eval "$(topo env)"; }
client() { eval "$(topo client "$@")"; }
client_key() { eval "$(topo client-key "$@")"; }
client_restart() { eval "$(topo client-restart "$@")"; }
cvar() { local v=$1_$2; echo "${!v}"; }

gw() { ip netns exec "$GW" "$@"; }
cl() { ip netns exec "$CL" "$@"; }
tel() { /usr/bin/python3 "$TEL" "$P" "$@"; }
stat_of() { tel /wgjit/stats --flat | sed -n "s/^$1=//p"; }
stat_is() { [ "$(stat_of "$1")" = "$2" ]; }

wait_for() {
	local end=$(( ${EPOCHREALTIME/[.,]/} + $1 * 100000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "${EPOCHREALTIME/[.,]/}" -lt "$end" ] || return 1
		sleep 0.05
	done
}

fail() {
	echo "FAIL: $*"
	[ -f "${APP_LOG:-}" ] && tail -30 "$APP_LOG" | sed 's/^/  app: /'
	tel /wgjit/stats --flat 2>/dev/null | sed 's/^/  stats: /'
	exit 1
}
