# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Cases 2-5: forged and replayed initiations, a flood, garbage."""

import os
import shutil
import subprocess
import time

import pytest

import pkt
from dtslib import CL_ADDR, GW_PORT, genkey, wait_for, wire_addr


def test_02_forged(topo, app, record):
    victim = topo.client("f00", 60)
    victim.set_key(*genkey())
    victim.register()
    s0 = app.stats()
    port = pkt.Port(topo)
    try:
        for i in range(5):
            port.send(pkt.frame(topo, pkt.initiation(topo, claim_b64=victim.pub),
                                sport=61000 + i))
    finally:
        port.close()
    app.wait_stat("forged", lambda v: v - s0["forged"] == 5)
    time.sleep(0.3)     # the control lcore would have asked the API by now
    s1 = app.stats()
    record(forged=s1["forged"] - s0["forged"])
    assert s1["identified"] == s0["identified"]
    assert s1["installs"] == s0["installs"]
    assert topo.cp_requests(victim.pub) == 0
    assert victim.pub not in topo.gw_peers()


def test_03_replay(topo, app, record):
    c = topo.client("r00", 61)
    c.set_key(*genkey())
    c.register()
    port = pkt.Port(topo)
    try:
        c.up()
        assert c.ping(timeout=3)
        cap = port.capture(lambda u: u[1] == c.port and u[3] == GW_PORT and
                           len(u[4]) == 148 and u[4][0] == 1, 0.5)
        if cap is None:
            pytest.fail("the client's initiation was not captured")
        app.wait_stat("installs", lambda v: v >= 1)
        ep0 = topo.gw_endpoints()[c.pub]
        s0 = app.stats()
        init = pkt.udp_of(cap)[4]
        port.send(pkt.frame(topo, init, src=wire_addr(9), sport=61500))
        port.send(pkt.frame(topo, init, src=CL_ADDR, sport=61501))
    finally:
        port.close()
    app.wait_stat("replays", lambda v: v - s0["replays"] == 2)
    assert c.ping(timeout=2), "the real client's tunnel broke"
    s1 = app.stats()
    record(replays=s1["replays"] - s0["replays"], endpoint_before=ep0,
           endpoint_after=topo.gw_endpoints()[c.pub])
    assert s1["installs"] == s0["installs"]
    assert s1["identified"] == s0["identified"]
    assert topo.gw_endpoints()[c.pub] == ep0, "a replay moved the endpoint"
    c.down()


FLOOD_UNIQ, FLOOD_RATE, FLOOD_SECS = 4000, 10000, 6


def _flood_pcap(topo):
    """FLOOD_UNIQ initiations with fresh ephemerals from wire_addr(50)."""
    pcap = topo.tmp / "flood.pcap"
    if pcap.exists():
        return pcap, None
    static = pkt.new_static()
    t0 = time.monotonic()
    frames = [pkt.frame(topo, pkt.initiation(topo, static=static, ts_offset=i * 1e-4),
                        src=wire_addr(50), sport=40000 + i % 20000)
              for i in range(FLOOD_UNIQ)]
    gen = FLOOD_UNIQ / (time.monotonic() - t0)
    pkt.write_pcap(pcap, frames)
    return pcap, round(gen)


def _flood(topo, app, during=None):
    """Replay the flood for FLOOD_SECS at FLOOD_RATE; call during() while
    it runs. Returns (figures, during's result)."""
    if not shutil.which("tcpreplay"):
        pytest.skip("tcpreplay not installed (Debian package tcpreplay)")
    pcap, gen = _flood_pcap(topo)
    s0, rss0 = app.stats(), app.rss_kb()
    loops = FLOOD_RATE * FLOOD_SECS // FLOOD_UNIQ
    flood = subprocess.Popen(["ip", "netns", "exec", topo.cl, "tcpreplay", "-q",
                              "-i", topo.vc, f"--pps={FLOOD_RATE}", f"--loop={loops}",
                              str(pcap)], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    res = None
    try:
        wait_for(lambda: app.stat("initiations") - s0["initiations"] > FLOOD_RATE, 10,
                 what="the flood to arrive")
        if during:
            res = during()
            assert flood.poll() is None, "the flood ended too early"
    finally:
        out, _ = flood.communicate(timeout=FLOOD_SECS * 4)
    assert flood.returncode == 0, out
    s1, rss1 = app.stats(), app.rss_kb()
    fig = {"sent": loops * FLOOD_UNIQ,
           "initiations_seen": s1["initiations"] - s0["initiations"],
           "ratelimited": s1["ratelimited"] - s0["ratelimited"],
           "identified": s1["identified"] - s0["identified"],
           "negative_skipped": s1["negative_skipped"] - s0["negative_skipped"],
           "replays": s1["replays"] - s0["replays"],
           "cookies_sent": s1["cookies_sent"] - s0["cookies_sent"],
           "rss_before_kb": rss0, "rss_after_kb": rss1}
    if gen:
        fig["generated_per_s"] = gen
    return fig, res


@pytest.mark.dts_timeout(120)
def test_04_flood_counted(topo, app, record):
    """10k/s authentic initiations of one key the control plane does not
    know, from one source: the gateway keeps up without going under load
    (so nothing is limited), and once the 404 is in, each costs one DH
    (negative_skipped), not two, and nothing is handed over."""
    fig, _ = _flood(topo, app)
    record(**fig)
    assert fig["initiations_seen"] >= fig["sent"] * 0.9, "the flood did not arrive"
    assert fig["ratelimited"] == 0 and fig["cookies_sent"] == 0
    # negative_ttl is 1 s here: when it runs out the worker spends its
    # second DH again, and the (looped) timestamps are replays.
    assert fig["negative_skipped"] >= fig["initiations_seen"] * 0.5
    assert fig["negative_skipped"] + fig["replays"] + fig["identified"] \
        >= fig["initiations_seen"] * 0.99
    # Only the first ones, before the control plane's 404 came back.
    assert fig["identified"] <= 500
    assert fig["rss_after_kb"] - fig["rss_before_kb"] < 4096, "RSS grew"


@pytest.mark.dts_timeout(120)
def test_04_flood_client_connects(topo, app, record):
    c = topo.client("l00", 62)
    c.set_key(*genkey())
    c.register()

    def connect():
        c.up()
        return c.timed_ping(timeout=5)
    try:
        fig, t = _flood(topo, app, connect)
    finally:
        c.down()
    record(client_first_ping_s=t)
    assert t is not None and t < 3.0, "a client could not connect during the flood"


def _garbage(topo):
    """(payloads, malformed, bad_mac1) with the expected counts."""
    out, malformed, bad_mac1 = [], 0, 0
    for n in range(201):            # every length, type 7: never valid
        out.append((b"\x07" + os.urandom(n))[:n])
        malformed += 1
    good = pkt.initiation(topo)
    for n in (1, 4, 32, 100, 147):  # truncated initiations
        out.append(good[:n])
        malformed += 1
    out.append(good + b"\0")        # one byte too long
    malformed += 1
    for t in (2, 3, 4):             # right length, wrong type
        out.append(bytes([t]) + good[1:])
        malformed += 1
    for i in (1, 2, 3):             # reserved bytes not zero
        out.append(good[:i] + b"\x01" + good[i + 1:])
        malformed += 1
    for i in range(10):             # bad mac1
        g = bytearray(pkt.initiation(topo))
        g[116 + i] ^= 0x80
        out.append(bytes(g))
        bad_mac1 += 1
    return out, malformed, bad_mac1


def test_05_garbage(topo, app, record):
    payloads, malformed, bad_mac1 = _garbage(topo)
    s0 = app.stats()
    port = pkt.Port(topo)
    try:
        for i, p in enumerate(payloads):
            port.send(pkt.frame(topo, p, src=wire_addr(60), sport=30000 + i))
    finally:
        port.close()
    n = len(payloads)
    if topo.steer:
        # The XDP program sees every frame; only initiation-shaped ones
        # (the bad-mac1 set) come to wgjit, the rest go to the kernel.
        app.wait_stat("xdp_passed", lambda v: v - s0["xdp_passed"] >= n - bad_mac1)
        app.wait_stat("rx", lambda v: v - s0["rx"] >= bad_mac1)
    else:
        app.wait_stat("rx", lambda v: v - s0["rx"] >= n)
    s1 = app.stats()
    keys = ["rx", "to_kernel", "malformed", "bad_mac1", "identified", "installs"]
    if topo.steer:
        keys += ["xdp_steered", "xdp_passed"]
    d = {k: s1[k] - s0[k] for k in keys}
    record(sent=n, **d)
    assert d["bad_mac1"] == bad_mac1
    assert d["identified"] == 0 and d["installs"] == 0
    if topo.steer:
        assert d["xdp_steered"] == bad_mac1, d
        assert d["rx"] == bad_mac1 and d["malformed"] == 0, d
        assert d["xdp_passed"] >= n - bad_mac1, d
        assert d["to_kernel"] == bad_mac1, d
        return
    assert d["rx"] == n, "other traffic on the uplink during the case"
    assert d["malformed"] == malformed
    assert d["to_kernel"] == n
