# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 7: eviction. Case 9: churn of short-lived clients like CI jobs."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dtslib import genkey, genkey_fast, wait_for

IDLE, GRACE, INTERVAL = 3, 5, 1
EVICT = {"evict": {"idle_timeout": str(IDLE), "grace": str(GRACE),
                   "interval": str(INTERVAL)}}


@pytest.mark.dts_timeout(60)
def test_07_eviction(topo, record):
    app = topo.start_app(EVICT)
    # Peers the cache still holds from earlier cases go first.
    app.wait_stat("peers_installed", lambda v: v == 0, timeout=GRACE + IDLE + 10)
    ev0 = app.stat("evictions")
    idle = topo.client("i00", 80)
    idle.set_key(*genkey())
    idle.register()
    idle.up()
    assert idle.ping(timeout=3)
    idle.down()
    t0 = time.monotonic()
    wait_for(lambda: idle.pub not in topo.gw_peers(), IDLE + GRACE + 10,
             what="the idle peer's eviction")
    evict_s = time.monotonic() - t0
    assert topo.static_pub in topo.gw_peers(), "the static peer was touched"
    assert app.stat("evictions") == ev0 + 1
    assert app.stat("peers_installed") == 0
    # Back just in time.
    s0 = app.stats()
    idle.up()
    idle.restart()
    t = idle.timed_ping(timeout=3)
    if t is None:
        s1 = app.stats()
        pytest.fail(f"no reconnect: { {k: s1[k] - s0[k] for k in s1 if s1[k] != s0[k]} }"
                    f" {app.tail(5)}")
    record(evicted_after_s=round(evict_s, 2), reconnect_s=t and round(t, 3))
    assert t is not None and t < 3.0
    assert app.stat("installs") == 2     # first connect, reconnect
    idle.down()


@pytest.mark.dts_timeout(60)
def test_07_active_peer_stays(topo, record):
    topo.start_app(EVICT)
    act = topo.client("i01", 81)
    act.set_key(*genkey())
    act.register()
    act.up()
    assert act.ping(timeout=3)
    lost = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < IDLE + 3 * INTERVAL + 2:
        lost += not act.ping(timeout=1)
        time.sleep(0.2)
    present = act.pub in topo.gw_peers()
    act.down()
    record(lost_pings=lost, still_installed=present)
    assert present and lost == 0, "an active peer was evicted"


CHURN = int(os.environ.get("DTS_CHURN", 2000))
LANES = 8


@pytest.mark.dts_timeout(400)
def test_09_churn(topo, record):
    idle, interval, grace = 2, 1, 3
    # batch: the default 64 removals per pass would cap eviction below the
    # ~100 arrivals/s this churn reaches, and the bound assumes no cap.
    app = topo.start_app({"evict": {"idle_timeout": str(idle), "grace": str(grace),
                                    "interval": str(interval), "batch": "1024"},
                          "control_plane": {"max_per_second": "1000"}})
    keys = [genkey_fast() for _ in range(CHURN)]
    lanes = topo.clients_parallel([(f"j{i}", 100 + i) for i in range(LANES)])
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda i: topo.cp_add(keys[i][1], [lanes[i % LANES].addr + "/32"]),
                    range(CHURN)))
    reg_s = time.monotonic() - t0
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append((time.monotonic(), len(topo.gw_peers())))
            stop.wait(0.25)
    failures, slow = [], []

    def lane(i):
        c = lanes[i]
        c.up()
        for k in range(i, CHURN, LANES):
            c.set_key(*keys[k], port=20000 + k)
            t = c.timed_ping(timeout=3)
            if t is None:
                failures.append(k)
            elif t >= 3.0:
                slow.append(k)
        c.down()
    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.monotonic()
    try:
        with ThreadPoolExecutor(LANES) as ex:
            list(ex.map(lane, range(LANES)))
        churn_s = time.monotonic() - t0
        t1 = time.monotonic()
        wait_for(lambda: topo.gw_peers() == {topo.static_pub}, idle + 3 + 20,
                 step=0.25, what="the device to drain")
        drain_s = time.monotonic() - t1
    finally:
        stop.set()
        sampler.join()
    peak = max(n for _, n in samples)
    rate = CHURN / churn_s
    s = app.stats()
    record(clients=CHURN, lanes=LANES, register_s=round(reg_s, 1),
           churn_s=round(churn_s, 1), per_s=round(rate, 1), peak_peers=peak,
           final_peers=len(topo.gw_peers()), drain_s=round(drain_s, 1),
           failures=len(failures), installs=s["installs"], evictions=s["evictions"])
    # Each key once; a key whose handshake failed is re-installed on retry.
    assert CHURN <= s["installs"] <= CHURN + len(failures)
    # Active set + what arrived during one idle window: a peer lives at most
    # idle (+1 s rounding) + 2 ticks after its handshake, grace if it never
    # completes one, + the static peer.
    bound = LANES + rate * (idle + grace + 2 * interval + 2) + 1
    assert peak <= bound, f"peak {peak} peers > {bound:.0f}"
    assert not slow, f"{len(slow)} clients waited for a retry"
    assert not failures, (f"{len(failures)} of {CHURN} clients got no tunnel "
                          f"within 3 s, e.g. key #{failures[0]}")
