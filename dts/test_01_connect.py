# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 1: many never-seen clients connect at once, each on the first try."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dtslib import genkey

N = 50


@pytest.mark.dts_timeout(180)
def test_01_fifty_at_once(topo, app, record):
    t0 = time.monotonic()
    clients = topo.clients_parallel([(f"a{i:02d}", i) for i in range(N)])
    start_s = time.monotonic() - t0
    for c in clients:
        c.set_key(*genkey())
        c.register()
    req0, inst0 = topo.cp_requests(), app.stat("installs")
    for c in clients:
        c.up()
    with ThreadPoolExecutor(N) as ex:
        times = list(ex.map(lambda c: c.timed_ping(timeout=5), clients))
    failed = [c.ifname for c, t in zip(clients, times) if t is None]
    assert not failed, f"no tunnel for {failed}"
    ok = sorted(times)
    record(clients=N, wg_go_start_s=round(start_s, 2),
           first_ping_max_s=round(ok[-1], 3), first_ping_median_s=round(ok[N // 2], 3))
    assert ok[-1] < 3.0, f"slowest first ping {ok[-1]:.2f}s: a 5 s retry happened"
    app.wait_stat("installs", lambda v: v - inst0 == N)
    assert topo.cp_requests() - req0 == N
    for c in clients:
        assert topo.cp_requests(c.pub) == 1, c.ifname
    assert {c.pub for c in clients} <= topo.gw_peers()
    record(api_requests=topo.cp_requests() - req0, installs=app.stat("installs") - inst0)
    for c in clients:
        c.down()
