# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 6: handshake floods (issue 10).

A flood of mac1-valid garbage (all it takes is the gateway's public key)
from ever-changing spoofed sources, at the highest rate tcpreplay reaches
here: an established tunnel keeps passing traffic, a never-seen client
connects within one cookie round (its first initiation gets a cookie
reply, its retry 5 s later carries the mac2 that proves its source), in
both bring-up modes that show it. Garbage spoofed from a client's own
address does not delay it, and 100 clients behind one address connect at
once.
"""

import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import dtslib
import topo
from dtslib import GW_ADDR, GW_PORT, genkey, run, wait_for

FLOOD_FRAMES = 40000
COOKIE_ROUND_S = 5.5


def _flood_pcap(topo):
    pcap = topo.tmp / "mac1-flood.pcap"
    if not pcap.exists():
        run(dtslib.topo.PYTHON, dtslib.REPO / "tests" / "lib" / "wginit.py", "flood",
            "--responder-pub", topo.gw_pub, "--out", pcap,
            "--count", FLOOD_FRAMES, "--src-net", "10.200.0.0/16",
            "--dst", f"{GW_ADDR}:{GW_PORT}", "--src-mac", topo.vc_mac,
            "--dst-mac", topo.vg_mac, timeout=120)
    return pcap


class Flood:
    """tcpreplay of the flood at full speed until stopped."""

    def __init__(self, topo, app):
        if not shutil.which("tcpreplay"):
            pytest.skip("tcpreplay not installed (Debian package tcpreplay)")
        self.topo, self.app = topo, app
        self.pcap = _flood_pcap(topo)

    def __enter__(self):
        # The spoofed sources are elsewhere on the Internet: the cookie
        # replies to them leave the gateway, then vanish before the client
        # host's IP layer.
        run("ip", "netns", "exec", self.topo.cl, "nft", "-f", "-", input=(
            f"table netdev {self.topo.prefix}spoof {{\n chain in {{\n"
            f"  type filter hook ingress device \"{self.topo.vc}\" priority 0;"
            f"\n  ip daddr 10.200.0.0/16 drop\n }}\n}}\n"))
        self.s0, self.t0 = self.app.stats(), time.monotonic()
        self.lost0 = self.app.uplink_lost()
        self.proc = subprocess.Popen(
            # The sender is the network, not the gateway: at the lowest
            # priority it takes all the CPU nothing else wants, so the
            # gateway's and the clients' processes still run on these
            # two cores.
            ["ip", "netns", "exec", self.topo.cl, "nice", "-n", "19",
             "tcpreplay", "-q", "-i", self.topo.vc, "--topspeed", "--loop=0",
             str(self.pcap)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: self.app.stat("initiations") - self.s0["initiations"]
                 > 5000, 10, what="the flood to arrive")
        wait_for(lambda: self.app.stat("cookies_sent") > self.s0["cookies_sent"],
                 10, what="the gateway to go under load")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)
        time.sleep(0.2)  # what is in the uplink's ring is not lost
        self.s1, self.t1 = self.app.stats(), time.monotonic()
        self.lost1 = self.app.uplink_lost()
        run("ip", "netns", "exec", self.topo.cl, "nft", "delete", "table",
            "netdev", f"{self.topo.prefix}spoof")

    def figures(self):
        d = {k: self.s1[k] - self.s0[k] for k in (
            "initiations", "cookies_sent", "cookie_limited", "mac2_invalid",
            "mac2_valid", "hs_queued", "hs_queue_full", "bad_static",
            "identified", "ratelimited", "under_load_us")}
        secs = self.t1 - self.t0
        d["flood_pps"] = round(d["initiations"] / secs)
        d["under_load_share"] = round(d.pop("under_load_us") / 1e6 / secs, 2)
        d["uplink_lost"] = self.lost1 - self.lost0
        return d


def _connected_client(topo, name, slot):
    c = topo.client(name, slot)
    c.set_key(*genkey())
    c.register()
    c.up()
    assert c.ping(timeout=5), f"{name} did not connect before the flood"
    return c


class Pinger(threading.Thread):
    """Pings through a client's tunnel every 50 ms: the answers, and the
    longest time without one."""

    def __init__(self, client, seconds):
        super().__init__()
        self.client, self.seconds = client, seconds

    def run(self):
        self.count = int(self.seconds / 0.05)
        r = subprocess.run(
            ["ip", "netns", "exec", self.client.topo.cl, "ping", "-n", "-D",
             "-i", "0.05", "-W", "1", "-c", str(self.count), "-I",
             self.client.ifname, dtslib.TUN_GW], capture_output=True, text=True)
        stamps = [float(line[1:line.index("]")]) for line in r.stdout.splitlines()
                  if line.startswith("[") and "bytes from" in line]
        self.received = len(stamps)
        self.max_gap = max((b - a for a, b in zip(stamps, stamps[1:])),
                           default=self.seconds)


def _new_client_under_flood(topo, app, record, name, slot):
    tunnel = _connected_client(topo, "f" + name, slot + 1)
    c = topo.client(name, slot)
    c.set_key(*genkey())
    c.register()
    with Flood(topo, app) as flood:
        pinger = Pinger(tunnel, 12)
        pinger.start()
        time.sleep(0.5)
        c.up()
        # Waits two rounds, so that a failure can say which (see below).
        t = c.timed_ping(timeout=int(2 * COOKIE_ROUND_S + 2))
        pinger.join()
    fig = flood.figures()
    fig.update(new_client_s=round(t, 2) if t else None,
               tunnel_pings=pinger.count, tunnel_answers=pinger.received,
               tunnel_max_gap_s=round(pinger.max_gap, 2))
    record(**fig)
    c.down()
    tunnel.down()
    # One cookie round. Only when the uplink lost frames before wgjit
    # read them (the sender outran the worker's ring: uplink_lost, the
    # network's loss, not the gateway's) may the lost one be the client's,
    # and its retry is one round more.
    rounds = 1 if fig["uplink_lost"] == 0 else 2
    assert t is not None and t <= rounds * COOKIE_ROUND_S, (
        f"the new client took {t}s under the flood ({rounds} round(s) allowed,"
        f" uplink_lost {fig['uplink_lost']}); its log:\n{c.log_tail()}")
    assert fig["flood_pps"] >= 50000, "not a flood: less than the issue's 50,000/s"
    assert fig["cookies_sent"] > 0 and fig["under_load_share"] > 0.5
    assert fig["mac2_valid"] >= 1, "no initiation proved its source"
    assert fig["hs_queue_full"] == 0
    # Two cores: the flood's sender and the busy worker leave the
    # wireguard-go processes behind them little CPU, so some pings are
    # late; the tunnel must never stop.
    assert pinger.max_gap < 0.5, f"the tunnel stopped for {pinger.max_gap:.2f}s"
    assert pinger.received >= pinger.count * 0.9, \
        f"the tunnel lost {pinger.count - pinger.received} of {pinger.count}"
    return fig


@pytest.mark.dts_timeout(150)
def test_06_flood_new_client(topo, app, record):
    fig = _new_client_under_flood(topo, app, record, "n0", 140)
    # Spoofed sources never get a DH: what was checked is the client's.
    assert fig["identified"] <= 4


@pytest.mark.dts_timeout(150)
def test_06_flood_new_client_reinject(topo, record):
    """The held initiation that carries wgjit's mac2 is re-injected: the
    gateway's wireguard-go, not under load, ignores mac2 and answers."""
    app = topo.start_app({"bringup": {"mode": "reinject"}})
    try:
        r0 = app.stat("reinjected")
        _new_client_under_flood(topo, app, record, "n1", 142)
        assert app.stat("reinjected") > r0
    finally:
        topo.stop_app()


@pytest.mark.dts_timeout(90)
def test_06_spoofed_victim(topo, app, record):
    """Keyless garbage with the client's own ip:port, 500/s: the client
    still connects on its first initiation, and nothing is limited."""
    c = topo.client("v0", 144)
    c.set_key(*genkey())
    c.register()
    s0 = app.stats()
    code = (
        "import os, socket, sys, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind((sys.argv[1], int(sys.argv[2])))\n"
        "end = time.monotonic() + float(sys.argv[3])\n"
        "while time.monotonic() < end:\n"
        "    s.sendto(b'\\x01\\0\\0\\0' + os.urandom(144), (sys.argv[4], 51820))\n"
        "    time.sleep(0.002)\n")
    # wireguard-go holds the client's port: send from a raw frame instead.
    import pkt
    port = pkt.Port(topo)
    stop = threading.Event()

    def garbage():
        while not stop.is_set():
            port.send(pkt.frame(topo, b"\x01\0\0\0" + bytes(144),
                                src=dtslib.CL_ADDR, sport=c.port))
            time.sleep(0.002)
    g = threading.Thread(target=garbage)
    g.start()
    try:
        time.sleep(1)
        c.up()
        t = c.timed_ping(timeout=5)
    finally:
        stop.set()
        g.join()
        port.close()
    del code
    s1 = app.stats()
    d = {k: s1[k] - s0[k] for k in ("bad_mac1", "ratelimited", "limiter_full",
                                     "identified")}
    record(first_ping_s=round(t, 3) if t else None, **d)
    c.down()
    assert t is not None and t < 3.0, f"the victim took {t}s"
    assert d["bad_mac1"] >= 300, "the garbage did not arrive"
    assert d["ratelimited"] == 0 and d["limiter_full"] == 0


N_NAT = 100


@pytest.mark.dts_timeout(300)
def test_06_hundred_behind_one_address(topo, app, record):
    """100 clients from the client namespace's one address, at once: out
    of load there is no per-source limit, and all connect first time."""
    clients = topo.clients_parallel([(f"h{i:02d}", 200 + i)
                                     for i in range(N_NAT)])
    for c in clients:
        c.set_key(*genkey())
        c.register()
    s0 = app.stats()
    for c in clients:
        c.up()
    with ThreadPoolExecutor(N_NAT) as ex:
        times = list(ex.map(lambda c: c.timed_ping(timeout=5), clients))
    failed = [c.ifname for c, t in zip(clients, times) if t is None]
    s1 = app.stats()
    ok = sorted(t for t in times if t is not None)
    record(clients=N_NAT, failed=len(failed),
           first_ping_max_s=round(ok[-1], 3) if ok else None,
           ratelimited=s1["ratelimited"] - s0["ratelimited"],
           cookies_sent=s1["cookies_sent"] - s0["cookies_sent"])
    for c in clients:
        c.down()
    assert not failed, f"no tunnel for {failed}"
    assert ok[-1] < 3.0, f"slowest first ping {ok[-1]:.2f}s: a 5 s retry happened"
    assert s1["ratelimited"] == s0["ratelimited"]
    assert s1["cookies_sent"] == s0["cookies_sent"], "went under load"
