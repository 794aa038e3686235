# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 6: control-plane faults. Case 8: restarts of wgjit and of the
gateway's wireguard-go while tunnels carry traffic."""

import os
import re
import socket
import subprocess
import time

import pytest

import dtslib
from dtslib import TUN_GW, genkey, wait_for

FAULTS = [("down", 0), ("slow", 5), ("500", 0), ("junk", 0), ("big", 0),
          ("wrong_key", 0)]


def _connect_within(c, seconds):
    """Ping until the tunnel answers; seconds taken or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if c.ping(timeout=1):
            return time.monotonic() - t0
    return None


@pytest.fixture(scope="module")
def steady(topo):
    """A client with a working tunnel before any fault."""
    topo.start_app()
    c = topo.client("e00", 70)
    c.set_key(*genkey())
    c.register()
    c.up()
    assert c.ping(timeout=3)
    return c


@pytest.mark.parametrize("mode,delay", FAULTS, ids=[m for m, _ in FAULTS])
@pytest.mark.dts_timeout(60)
def test_06_control_plane_fault(topo, steady, record, mode, delay):
    app = topo.app
    n = topo.client(f"n{mode[:3]}", 71 + [m for m, _ in FAULTS].index(mode))
    n.set_key(*genkey())
    n.register()
    s0 = app.stats()
    peers0 = topo.gw_peers()
    topo.fault(mode, delay)
    try:
        n.up()
        assert not n.ping(timeout=1), "connected while the API is broken"
        app.wait_stat("api_errors", lambda v: v > s0["api_errors"], timeout=15)
        assert steady.ping(timeout=2), "an existing tunnel stopped during the fault"
        assert topo.gw_peers() == peers0, "something was installed during the fault"
    finally:
        topo.fault("none")
    t = _connect_within(n, 20)
    s1 = app.stats()
    record(api_errors=s1["api_errors"] - s0["api_errors"],
           recover_s=round(t, 2) if t else None)
    assert t is not None, "the client did not connect once the API was healthy"
    assert topo.gw_peers() == peers0 | {n.pub}
    n.down()


def _ping_stream(c, count, interval):
    return subprocess.Popen(["ip", "netns", "exec", c.topo.cl, "ping", "-n", "-q",
                             "-i", str(interval), "-c", str(count), "-W", "1",
                             "-I", c.ifname, TUN_GW],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _received(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


@pytest.mark.dts_timeout(90)
def test_08_restart_wgjit(topo, steady, record):
    app = topo.app
    before = app.stats()
    assert before["peers_installed"] >= 1
    installed = topo.gw_peers()
    stream = _ping_stream(steady, 100, 0.05)      # 5 s of traffic
    time.sleep(1)     # let the stream run before the restart: we measure loss
    t0 = time.monotonic()
    topo.stop_app()
    topo.start_app()
    restart_s = time.monotonic() - t0
    out, _ = stream.communicate(timeout=30)
    sent, got = _received(out)
    app = topo.app
    assert steady.ping(timeout=2)
    # The cache still holds the installs: nothing is installed again.
    app.wait_stat("peers_installed", lambda v: v == before["peers_installed"])
    time.sleep(1.5)   # a full eviction/reconcile tick
    s = app.stats()
    record(restart_s=round(restart_s, 2), pings_sent=sent, pings_lost=sent - got,
           installs_after=s["installs"])
    assert s["installs"] == 0 and s["api_requests"] == 0
    assert topo.gw_peers() == installed
    assert sent - got <= restart_s / 0.05 + 10, f"lost {sent - got} of {sent}"


@pytest.mark.dts_timeout(90)
def test_08_restart_gateway_wg(topo, steady, record):
    app = topo.app
    assert steady.pub in topo.gw_peers()
    topo.stop_gateway_wg()
    topo.start_gateway_wg()
    assert topo.gw_peers() == {topo.static_pub}
    # wgjit notices the device lost its peers and forgets them.
    app.wait_stat("peers_installed", lambda v: v == 0, timeout=15)
    s0 = app.stats()
    inst0 = s0["installs"]
    # The client comes back (restarted: no old session to wait out).
    steady.restart()
    t = steady.timed_ping(timeout=3)
    record(reconnect_s=round(t, 3) if t else None)
    if t is None or t >= 3.0:
        s1 = app.stats()
        pytest.fail(f"the client did not reconnect just in time ({t}): "
                    f"{ {k: s1[k] - s0[k] for k in s1 if s1[k] != s0[k]} } "
                    f"peers {topo.gw_peers()} log:\n{app.tail(8)}")
    app.wait_stat("installs", lambda v: v == inst0 + 1)
    assert steady.pub in topo.gw_peers()
    steady.down()


N_OPERATOR_PEERS = 5000


def _uapi_set(topo, body):
    """One UAPI set request to the gateway's wireguard-go."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(dtslib.topo.UAPI_DIR / f"{topo.gwif}.sock"))
        s.sendall(b"set=1\n" + body.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"errno=0\n"), f"UAPI set: {reply!r}"


@pytest.mark.dts_timeout(120)
def test_08_restart_with_many_peers(topo, record):
    """wgjit restarts in front of a device holding more peers than a
    worker's inbox used to (4096): every endpoint WireGuard knows reaches
    the workers, none is dropped on the way (inbox_drops 0)."""
    keys = [os.urandom(32).hex() for _ in range(N_OPERATOR_PEERS)]
    add = "".join(
        f"public_key={k}\nendpoint=10.201.{i // 250}.{1 + i % 250}:51820\n"
        f"allowed_ip=10.94.{i // 250}.{1 + i % 250}/32\n"
        for i, k in enumerate(keys))
    _uapi_set(topo, add)
    try:
        topo.start_app()
        app = topo.app
        s = app.stats()
        record(peers=N_OPERATOR_PEERS, inbox_drops=s["inbox_drops"],
               inbox_msgs=s["inbox_msgs"])
        assert s["inbox_drops"] == 0, f"{s['inbox_drops']} endpoints dropped"
        assert s["inbox_msgs"] >= N_OPERATOR_PEERS
    finally:
        _uapi_set(topo, "".join(f"public_key={k}\nremove=true\n" for k in keys))
