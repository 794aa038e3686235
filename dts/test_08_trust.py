# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 15: the trust holes of issue 12, each tried as the attacker would,
with real wireguard-go and the reference control plane.

- A client's in-session initiation, captured, replayed after its peer was
  evicted from another address: nothing is installed there.
- A control plane that hands out 0.0.0.0/0, or a static peer's prefix:
  nothing is installed, the routes stay where they were.
- A static peer with 40 allowed IPs: wgjit starts, installs, evicts and
  refuses overlaps with it as with any other.
- wgjit SIGKILLed at random moments of a herd: after each restart every
  peer wgjit put in the device is known as its own and evicted in time;
  nothing stays behind.
- A corrupt cache: start-up stops with a message that names the way back;
  wgjit-cache salvage keeps the replay floors; wgjit starts again.
"""

import random
import signal
import sqlite3
import subprocess
import time

import pytest

import dtslib
import pkt
from dtslib import GW_PORT, genkey, wait_for, wire_addr
from test_07_herd import _tcpreplay, herd_addr, herd_pcap, remove_jit_peers

SHORT_EVICT = {"evict": {"idle_timeout": "2", "grace": "6", "interval": "1"}}


@pytest.mark.dts_timeout(120)
def test_15_replay_after_eviction(topo, record):
    app = topo.start_app(SHORT_EVICT)
    c = topo.client("p00", 152)
    c.set_key(*genkey())
    c.register()
    port = pkt.Port(topo)
    try:
        c.up()
        assert c.ping(timeout=3), "no tunnel"
        # A second handshake of the same session: the client is
        # restarted and initiates again while its peer is installed.
        s0 = app.stats()
        c.restart()
        cap = None
        for _ in range(3):
            c.ping(timeout=1)
            cap = port.capture(lambda u: u[1] == c.port and u[3] == GW_PORT and
                               len(u[4]) == 148 and u[4][0] == 1, 1.5)
            if cap:
                break
        assert cap is not None, "the in-session initiation was not captured"
        assert c.ping(timeout=3), "the second handshake failed"
        app.wait_stat("observed", lambda v: v > s0["observed"])
        c.down()
        wait_for(lambda: c.pub not in topo.gw_peers(), 30, what="eviction")
        s1 = app.stats()
        init = pkt.udp_of(cap)[4]
        # The workers' own replay table still holds it: stopped there.
        port.send(pkt.frame(topo, init, src=wire_addr(66), sport=61666))
        app.wait_stat("replays", lambda v: v > s1["replays"], timeout=5)
        # After a restart only the control lcore's floor (SQLite) knows.
        app = topo.start_app(SHORT_EVICT)
        s2 = app.stats()
        port.send(pkt.frame(topo, init, src=wire_addr(67), sport=61667))
        app.wait_stat("ctl_replays", lambda v: v > s2["ctl_replays"], timeout=5)
        time.sleep(0.5)
        s3 = app.stats()
    finally:
        port.close()
        topo.stop_app()
    record(observed=s1["observed"] - s0["observed"],
           ctl_replays_after_restart=s3["ctl_replays"] - s2["ctl_replays"])
    assert s3["installs"] == s2["installs"], "the replay installed the peer"
    assert c.pub not in topo.gw_peers(), "the peer is back, at the attacker's"


def _refused(topo, app, c, aips):
    c.set_key(*genkey())
    topo.cp_add(c.pub, aips)
    s0 = app.stats()
    c.up()
    ok = c.ping(timeout=2)
    c.down()
    s1 = app.stats()
    return ok, s1["policy_refused"] - s0["policy_refused"], s1["installs"] - s0["installs"]


@pytest.mark.dts_timeout(60)
def test_15_hijack_default_route(topo, app, record):
    c = topo.client("q00", 153)
    ok, refused, installs = _refused(topo, app, c, [c.addr + "/32", "0.0.0.0/0"])
    record(refused=refused)
    assert not ok and refused >= 1 and installs == 0
    assert c.pub not in topo.gw_peers()


@pytest.mark.dts_timeout(60)
def test_15_hijack_static_prefix(topo, app, record):
    c = topo.client("q01", 154)
    before = topo.gw_exec("wg", "show", topo.gwif, "allowed-ips").stdout
    ok, refused, installs = _refused(topo, app, c, [dtslib.topo.STATIC_IPS])
    record(refused=refused)
    assert not ok and refused >= 1 and installs == 0
    assert topo.gw_exec("wg", "show", topo.gwif, "allowed-ips").stdout == before, \
        "the static peer's prefix moved"


@pytest.mark.dts_timeout(120)
def test_15_large_static_peer(topo, record):
    """An ordinary site-to-site peer with 40 prefixes, set before wgjit
    starts."""
    big_pub = genkey()[1]
    prefixes = ",".join(f"10.95.{i}.0/24" for i in range(40))
    topo.gw_exec("wg", "set", topo.gwif, "peer", big_pub, "allowed-ips", prefixes)
    try:
        app = topo.start_app(SHORT_EVICT)
        c = topo.client("s00", 155)
        c.set_key(*genkey())
        c.register()
        c.up()
        t = c.timed_ping(timeout=3)
        c.down()
        wait_for(lambda: c.pub not in topo.gw_peers(), 30, what="eviction")
        over = topo.client("s01", 156)
        ok, refused, _ = _refused(topo, app, over, ["10.95.7.9/32"])
        record(first_ping_s=round(t, 3) if t else None, overlap_refused=refused)
        assert t is not None, "no JIT install next to a 40-prefix peer"
        assert not ok and refused >= 1
        shown = topo.gw_exec("wg", "show", topo.gwif, "allowed-ips").stdout
        line = [x for x in shown.splitlines() if x.startswith(big_pub)][0]
        assert len(line.split("\t")[1].split()) == 40, "the big peer changed"
    finally:
        topo.stop_app()
        topo.gw_exec("wg", "set", topo.gwif, "peer", big_pub, "remove")


N_CRASH = 600


@pytest.mark.dts_timeout(300)
def test_15_crash_during_herd(topo, record):
    """SIGKILL during a herd, three times: each restart finds every peer
    it put in (intents first); all of them are evicted in time."""
    from test_07_herd import nginx_url
    url = nginx_url(topo)
    conf = {"control_plane": {"url": url}, **SHORT_EVICT}
    rng = random.Random(15)
    killed_at, settled = [], []
    try:
        for run_no in range(3):
            pcap, keys = herd_pcap(topo, f"crash{run_no}", N_CRASH,
                                   f"10.{203 + run_no}.0.0/16")
            for i, k in enumerate(keys):
                topo.nginx_add(k, [herd_addr(2000 + run_no * N_CRASH + i)])
            app = topo.start_app(conf)
            sender = _tcpreplay(topo, pcap, 2000)
            wait_for(lambda: app.stat("installs") > 0, 10, step=0.01,
                     what="installs to start")
            time.sleep(rng.uniform(0.0, 0.25))
            n = app.stat("installs")
            topo.stop_app(sig=signal.SIGKILL)
            sender.communicate(timeout=30)
            killed_at.append(n)
            app = topo.start_app(conf)
            s = app.stats()
            settled.append(s["intents_settled"])
            jit = [p for p in topo.gw_peers() if p != topo.static_pub]
            # Every JIT peer in the device is wgjit's own ...
            assert s["peers_installed"] == len(jit), (s["peers_installed"], len(jit))
            topo.stop_app()
        # ... and goes when idle: nothing leaked across three crashes.
        app = topo.start_app(conf)
        wait_for(lambda: set(topo.gw_peers()) <= {topo.static_pub}, 30,
                 what="every crashed-herd peer to be evicted")
    finally:
        topo.stop_app()
        remove_jit_peers(topo)
    record(killed_after_installs=killed_at, intents_settled=settled)


@pytest.mark.dts_timeout(120)
def test_15_corrupt_cache(topo, record):
    app = topo.start_app()
    c = topo.client("k00", 157)
    c.set_key(*genkey())
    c.register()
    c.up()
    assert c.ping(timeout=3)
    c.down()
    path = app.conf["cache"]["path"]
    topo.stop_app()
    remove_jit_peers(topo)
    # The answers' table damaged, as a bad disk would.
    db = sqlite3.connect(path)
    page = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'peer'"
                      ).fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(bytes((i * 13 + 5) % 256 for i in range(size)))
    with pytest.raises(RuntimeError) as e:
        topo.start_app()
    msg = str(e.value)
    assert "corrupt" in msg and "wgjit-cache salvage" in msg, msg
    tool = dtslib.wgjit_binary().parents[1] / "cache" / "wgjit-cache"
    out = subprocess.run([str(tool), "salvage", path], capture_output=True,
                         text=True, check=True).stdout
    db = sqlite3.connect(path)
    floors = db.execute("SELECT count(*) FROM replay").fetchone()[0]
    db.close()
    app = topo.start_app()
    c.restart()
    c.up()
    t = c.timed_ping(timeout=3)
    c.down()
    topo.stop_app()
    record(salvage=out.strip(), floors_kept=floors)
    assert floors >= 1, "the client's replay floor was lost"
    assert t is not None, "no tunnel after the salvage"
