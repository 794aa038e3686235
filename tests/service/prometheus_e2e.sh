#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# A real Prometheus server scrapes wgjit-exporter during a JIT run:
#
#   netns CL: a wireguard-go client, never seen by the gateway
#   netns GW: wgjit (af_packet uplink, TAP, wireguard-go gateway, the
#             reference control plane), wgjit-exporter on 127.0.0.1:9841,
#             prometheus on 127.0.0.1:9090 (1 s scrapes, TSDB in $TMP)
#
# Prometheus must see the exporter up with no install yet; after the
# client's first ping, wgjit_installs_total >= 1 and wgjit_peers_installed
# = 1 in its query API, the handshake latency histogram must give a
# quantile, and every query of the Grafana dashboard must be valid PromQL
# that names only wgjit_* metrics Prometheus has. The topology is
# tests/lib/topo.py's (via topo.sh); all this test adds is in this file.
#
# usage: prometheus_e2e.sh WGJIT TEL_PY WGJIT_CP_PY EXPORTER DASHBOARD_JSON
set -eu

WGJIT=$1
TEL=$2
CP=$3
EXPORTER=$4
DASHBOARD=$5
command -v prometheus > /dev/null || { echo "SKIP: prometheus missing"; exit 77; }
/usr/bin/python3 -c 'import prometheus_client' 2> /dev/null ||
	{ echo "SKIP: python3-prometheus-client missing"; exit 77; }
. "$(dirname "$0")/../lib/topo.sh"
topo_init wgjp

# prom QUERY: the query's instant vector as "labels value" lines.
prom() {
	gw /usr/bin/python3 - "$1" <<-'PY'
	import json, sys, urllib.parse, urllib.request
	url = "http://127.0.0.1:9090/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[1]})
	r = json.load(urllib.request.urlopen(url, timeout=5))
	assert r["status"] == "success", r
	for s in r["data"]["result"]:
	    print(json.dumps(s["metric"], sort_keys=True), s["value"][1])
	PY
}
# prom_value QUERY: the value of a query with exactly one series.
prom_value() {
	local out
	out=$(prom "$1") || return 1
	[ "$(echo "$out" | grep -c .)" = 1 ] || return 1
	echo "${out##* }"
}
prom_ge() { # QUERY MIN
	local v
	v=$(prom_value "$1") || return 1
	/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$v" "$2"
}
prom_fail() {
	echo "  prometheus targets: $(gw curl -s http://127.0.0.1:9090/api/v1/targets | head -c 600)"
	tail -5 "$TMP/prom.log" | sed 's/^/  prometheus: /'
	tail -5 "$TMP/exporter.log" | sed 's/^/  exporter: /'
	fail "$@"
}

topo_up --cp-py "$CP"
topo app-start --wgjit "$WGJIT" bringup.mode=initiate || fail "wgjit did not start"
client A 0
topo cp-add --client A

gw /usr/bin/python3 "$EXPORTER" --file-prefix "$P" --listen 127.0.0.1:9841 \
	> "$TMP/exporter.log" 2>&1 &
PIDS+=($!)
cat > "$TMP/prometheus.yml" <<-YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: wgjit
    static_configs:
      - targets: ['127.0.0.1:9841']
YML
gw prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address=127.0.0.1:9090 > "$TMP/prom.log" 2>&1 &
PIDS+=($!)
wait_for 300 gw curl -sf http://127.0.0.1:9090/-/ready || prom_fail "prometheus not ready"

# Scraped before any client: up, and no install yet.
wait_for 100 prom_ge 'wgjit_up{job="wgjit"}' 1 || prom_fail "exporter not up in prometheus"
wait_for 50 prom_ge 'wgjit_workers' 1 || prom_fail "no wgjit_workers"
[ "$(prom_value wgjit_installs_total)" = 0 ] || prom_fail "installs before any client"

# A never-seen client connects on its first initiation.
cl ip link set "$IF_A" up
cl ping -c 1 -W 4 -I "$IF_A" "$TUN_GW" > /dev/null || fail "A: no tunnel"
wait_for 20 stat_is installs 1 || fail "installs != 1 in /wgjit/stats"
wait_for 100 prom_ge wgjit_installs_total 1 ||
	prom_fail "wgjit_installs_total in prometheus: $(prom wgjit_installs_total)"
echo "prometheus: wgjit_installs_total = $(prom_value wgjit_installs_total)"
wait_for 50 prom_ge wgjit_peers_installed 1 || prom_fail "wgjit_peers_installed"
wait_for 50 prom_ge wgjit_api_requests_total 1 || prom_fail "wgjit_api_requests_total"
q='histogram_quantile(0.5, wgjit_handshake_latency_seconds_bucket)'
wait_for 50 prom_ge "$q" 0.000001 || prom_fail "$q: $(prom "$q")"
echo "prometheus: handshake p50 bound $(prom_value "$q") s"
prom 'wgjit_lcore_rx_total' | grep -q '"lcore": "1"' || prom_fail "no per-lcore rx"

# Every query of the dashboard is valid PromQL (its variables filled in)
# and every wgjit metric it names exists in Prometheus.
gw /usr/bin/python3 - "$DASHBOARD" <<'PY' || fail "the dashboard does not fit the metrics"
import json, re, sys, urllib.parse, urllib.request
api = "http://127.0.0.1:9090/api/v1/"
def get(path, **q):
    url = api + path + ("?" + urllib.parse.urlencode(q) if q else "")
    try:
        return json.load(urllib.request.urlopen(url, timeout=5))
    except urllib.error.HTTPError as e:
        return json.load(e)
have = set(get("label/__name__/values")["data"])
exprs = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("expr", "query") and isinstance(v, str):
                exprs.append(v)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(open(sys.argv[1])))
bad = []
for e in exprs:
    q = e.replace("$__rate_interval", "1m").replace("$instance", ".*")
    if q.startswith("label_values("):
        continue        # a Grafana function, not PromQL
    r = get("query", query=q)
    if r.get("status") != "success":
        bad.append("%s: %s" % (e, r.get("error")))
used = {m for e in exprs for m in re.findall(r"\bwgjit_[a-z0-9_]+", e)}
missing = sorted(used - have)
print("dashboard: %d queries, %d wgjit metrics; invalid: %s; missing in prometheus: %s"
      % (len(exprs), len(used), bad or "none", missing or "none"))
sys.exit(1 if bad or missing or len(used) < 10 else 0)
PY
echo "prometheus_e2e: ok"
