#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""wgjit-exporter against a stand-in telemetry socket.

usage: exporter_test.py WGJIT_EXPORTER

The stand-in speaks dpdk_telemetry.v2 as DPDK 22.11 does (a hello with
max_output_len, then one JSON reply per command) with the shapes wgjit's
handlers answer, plus a counter, a gauge and a latency stage that no
wgjit has yet: they must show up with the right type. Checked: counters
and gauges, per-lcore labels, cumulative histogram buckets at
2^(i+1) us with the open-ended last bucket only in +Inf, quantile
bounds, numeric configuration, wgjit_up without a socket and when
/wgjit/stats fails, and the HTTP endpoint in both the Prometheus text
format and OpenMetrics (parsed by prometheus_client's strict parser).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families

EXPORTER = sys.argv[1]
HIST = [0] * 24
HIST[3] = 2      # [8, 16) us
HIST[10] = 1     # [1024, 2048) us
HIST[23] = 4     # 2^23 us and beyond
ANSWERS = {
    "/wgjit/stats": {
        "rx": 1000, "tx": 990, "installs": 3, "api_requests": 5,
        "hs_depth": 7, "peers_installed": 2, "fetches_waiting": 1,
        "workers": 2, "under_load_us": 123456,
        "frobnications": 42,            # a counter wgjit may add
        "frob_depth": 9,                # a gauge, by the *_depth rule
    },
    "/wgjit/lcores": {
        "1": {"rx": 600, "hs_depth": 3},
        "2": {"rx": 400, "hs_depth": 4},
    },
    "/wgjit/latency": {
        "install_p50_us": 16, "install_p99_us": 2048,
        "install_us_log2": HIST,
        "frob_p999_us": 8, "frob_us_log2": [1] + [0] * 23,
    },
    "/wgjit/config": {
        "handshake": {"queue_size": 4096, "lcores": ""},
        "wireguard": {"interface": "wg0", "listen_port": 51820},
    },
}


class FakeTelemetry:
    """A SOCK_SEQPACKET server that answers like DPDK's telemetry."""

    def __init__(self, path, answers):
        self.answers = answers
        self.commands = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self.client, args=(conn,), daemon=True).start()

    def client(self, conn):
        with conn:
            conn.send(json.dumps({"version": "DPDK 22.11.11", "pid": 4242,
                                  "max_output_len": 16384}).encode())
            while True:
                cmd = conn.recv(1024).decode()
                if not cmd:
                    return
                self.commands.append(cmd)
                conn.send(json.dumps({cmd: self.answers.get(cmd)}).encode())


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def scrape_once(path):
    p = subprocess.run([sys.executable, EXPORTER, "--socket", path, "--once"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def samples(text, parser=text_string_to_metric_families):
    fams = {f.name: f for f in parser(text)}
    vals = {}
    for f in fams.values():
        for s in f.samples:
            vals[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return fams, vals


def check_metrics(fams, vals, fmt):
    def v(name, **labels):
        return vals.get((name, tuple(sorted(labels.items()))))

    check(v("wgjit_up") == 1, f"{fmt}: wgjit_up is {v('wgjit_up')}")
    for name, want in (("rx", 1000), ("installs", 3), ("api_requests", 5),
                       ("under_load_us", 123456), ("frobnications", 42)):
        check(fams.get("wgjit_" + name) is not None and
              fams["wgjit_" + name].type == "counter",
              f"{fmt}: wgjit_{name} is not a counter")
        check(v(f"wgjit_{name}_total") == want,
              f"{fmt}: wgjit_{name}_total = {v(f'wgjit_{name}_total')}, want {want}")
    for name, want in (("hs_depth", 7), ("peers_installed", 2),
                       ("fetches_waiting", 1), ("workers", 2), ("frob_depth", 9)):
        check(fams.get("wgjit_" + name) is not None and
              fams["wgjit_" + name].type == "gauge",
              f"{fmt}: wgjit_{name} is not a gauge")
        check(v("wgjit_" + name) == want, f"{fmt}: wgjit_{name} = {v('wgjit_' + name)}")
    check(v("wgjit_lcore_rx_total", lcore="1") == 600 and
          v("wgjit_lcore_rx_total", lcore="2") == 400, f"{fmt}: per-lcore rx")
    check(v("wgjit_lcore_hs_depth", lcore="2") == 4, f"{fmt}: per-lcore gauge")
    check(v("wgjit_info", version="DPDK 22.11.11", pid="4242") == 1, f"{fmt}: wgjit_info")

    # Histograms: cumulative, le = 2^(i+1) us, the last bucket in +Inf only.
    h = fams.get("wgjit_install_latency_seconds")
    check(h is not None and h.type == "histogram", f"{fmt}: no install histogram")
    buckets = [(s.labels["le"], s.value) for s in (h.samples if h else [])
               if s.name.endswith("_bucket")]
    check(len(buckets) == 24, f"{fmt}: {len(buckets)} install buckets, want 23 + +Inf")
    seen = 0
    for i, (le, val) in enumerate(buckets[:-1]):
        seen += HIST[i]
        check(abs(float(le) - 2 ** (i + 1) / 1e6) < 1e-12,
              f"{fmt}: bucket {i} le={le}, want {2 ** (i + 1) / 1e6}")
        check(val == seen, f"{fmt}: bucket {i} = {val}, want cumulative {seen}")
    check(buckets and buckets[-1] == ("+Inf", 7), f"{fmt}: +Inf bucket {buckets[-1:]}")
    check(not any(s.name.endswith(("_sum", "_count")) for s in (h.samples if h else [])),
          f"{fmt}: a _sum or _count without a kept sum")
    check(v("wgjit_frob_latency_seconds_bucket", le="2e-06") == 1,
          f"{fmt}: a new stage's histogram is missing")
    check(v("wgjit_install_latency_bound_seconds", quantile="0.99") == 2048e-6 and
          v("wgjit_install_latency_bound_seconds", quantile="0.5") == 16e-6,
          f"{fmt}: install quantile bounds")
    check(v("wgjit_frob_latency_bound_seconds", quantile="0.999") == 8e-6,
          f"{fmt}: p999 of a new stage")
    check(v("wgjit_config_value", section="handshake", key="queue_size") == 4096 and
          v("wgjit_config_value", section="wireguard", key="listen_port") == 51820,
          f"{fmt}: numeric configuration")
    check(not any(k[0] == "wgjit_config_value" and ("key", "interface") in k[1]
                  for k in vals), f"{fmt}: a string configuration value exported")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    tmp = tempfile.mkdtemp(prefix=f"wgjexp{os.getpid()}.")
    path = os.path.join(tmp, "dpdk_telemetry.v2")

    # No socket: exit 1 and wgjit_up 0, nothing else.
    rc, out, _ = scrape_once(path)
    fams, vals = samples(out)
    check(rc == 1 and vals.get(("wgjit_up", ())) == 0 and len(fams) == 1,
          f"without a socket: rc {rc}, {sorted(fams)}")

    fake = FakeTelemetry(path, ANSWERS)
    rc, out, err = scrape_once(path)
    check(rc == 0, f"--once exit {rc}: {err}")
    check_metrics(*samples(out), "text")
    check(set(fake.commands) >= {"/wgjit/stats", "/wgjit/lcores",
                                 "/wgjit/latency", "/wgjit/config"},
          f"commands sent: {fake.commands}")

    # The HTTP endpoint, as Prometheus scrapes it (it asks for OpenMetrics).
    port = free_port()
    proc = subprocess.Popen([sys.executable, EXPORTER, "--socket", path,
                             "--listen", f"127.0.0.1:{port}"],
                            stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.05)
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        check_metrics(*samples(text), "http text")
        req = urllib.request.Request(url, headers={
            "Accept": "application/openmetrics-text; version=1.0.0; charset=utf-8"})
        with urllib.request.urlopen(req, timeout=5) as r:
            ctype = r.headers.get("Content-Type", "")
            om = r.read().decode()
        check(ctype.startswith("application/openmetrics-text"), f"content type {ctype}")
        try:
            check_metrics(*samples(om, om_parse), "openmetrics")
        except ValueError as e:
            check(False, f"not valid OpenMetrics: {e}")

        # /wgjit/stats failing (telemetry disabled, wrong process): up 0.
        fake.answers = {}
        _, vals = samples(urllib.request.urlopen(url, timeout=5).read().decode())
        check(vals.get(("wgjit_up", ())) == 0 and len(vals) == 1,
              f"a null /wgjit/stats: {vals}")
        proc.terminate()
        rc = proc.wait(timeout=10)
        check(rc == 0, f"SIGTERM: exit {rc}")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.unlink(path)
        os.rmdir(tmp)

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("exporter: counters, gauges, lcores, histograms, config, up; text and OpenMetrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
