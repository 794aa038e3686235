# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 14: herds and minted keys (issue 11), against a fast control plane
(nginx serving one static JSON file per key, tests/lib/topo.py).

A neighbour fails over: 2,000 never-seen registered clients knock within
one second (valid initiations from distinct sources, built by
tests/lib/wginit.py): every one is installed and none is lost on a ring.
Anyone with the gateway's public key can mint keys: while thousands of
minted keys wait for the control plane's 404, a client that was here
before comes back and connects on its first initiation.
"""

import shutil
import subprocess
import time

import pytest

import dtslib
from dtslib import GW_ADDR, GW_PORT, genkey, run, wait_for

N_HERD = 2000
N_MINTED = 3000


def _tcpreplay(topo, pcap, pps, loop=1):
    if not shutil.which("tcpreplay"):
        pytest.skip("tcpreplay not installed (Debian package tcpreplay)")
    return subprocess.Popen(
        ["ip", "netns", "exec", topo.cl, "tcpreplay", "-q", "-i", topo.vc,
         f"--pps={pps}", f"--loop={loop}", str(pcap)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def herd_pcap(topo, name, count, src_net):
    """count initiations of fresh keys from distinct sources of src_net,
    and their public keys."""
    pcap, keys = topo.tmp / f"{name}.pcap", topo.tmp / f"{name}.keys"
    if not pcap.exists():
        run(dtslib.topo.PYTHON, dtslib.REPO / "tests" / "lib" / "wginit.py", "herd",
            "--responder-pub", topo.gw_pub, "--out", pcap, "--keys-out", keys,
            "--count", count, "--src-net", src_net, "--dst", f"{GW_ADDR}:{GW_PORT}",
            "--src-mac", topo.vc_mac, "--dst-mac", topo.vg_mac, timeout=300)
    return pcap, keys.read_text().split()


def nginx_url(topo):
    if getattr(topo, "nginx_port", None) is None:
        if not shutil.which("nginx"):
            pytest.skip("nginx not installed (Debian package nginx-light)")
        topo.start_nginx_cp()
    return f"http://127.0.0.1:{topo.nginx_port}"


def herd_addr(i):
    """The tunnel address of the i-th herd client (10.96.0.0/16)."""
    return f"10.96.{i // 250}.{1 + i % 250}/32"


def latency(app):
    import wgjit_tel
    _, reply = wgjit_tel.query(app.topo.prefix, "/wgjit/latency", 0)
    return reply["/wgjit/latency"]


def remove_jit_peers(topo):
    """Every peer of the gateway device but the static one, in one call."""
    peers = [p for p in topo.gw_peers() if p != topo.static_pub]
    if peers:
        args = []
        for p in peers:
            args += ["peer", p, "remove"]
        topo.gw_exec("wg", "set", topo.gwif, *args)


@pytest.mark.dts_timeout(300)
def test_14_herd(topo, record):
    url = nginx_url(topo)
    pcap, keys = herd_pcap(topo, "herd", N_HERD, "10.201.0.0/16")
    for i, k in enumerate(keys):
        topo.nginx_add(k, [herd_addr(i)])
    app = topo.start_app({"control_plane": {"url": url},
                          "bringup": {"mode": "reinject"}})
    try:
        s0 = app.stats()
        t0 = time.monotonic()
        sender = _tcpreplay(topo, pcap, N_HERD)
        out, _ = sender.communicate(timeout=60)
        sent_s = time.monotonic() - t0
        assert sender.returncode == 0, out
        try:
            wait_for(lambda: app.stat("installs") - s0["installs"] >= N_HERD,
                     30, step=0.01, what="the herd to be installed")
        except TimeoutError:
            pass                        # the counts below say what is missing
        done_s = time.monotonic() - t0
        s1 = app.stats()
        lat = latency(app)
        d = {k: s1[k] - s0[k] for k in (
            "identified", "installs", "api_requests", "ring_full",
            "hs_queue_full", "pending_dropped", "install_failures", "batches",
            "copy_failed", "inbox_drops", "api_errors")}
        record(sent_s=round(sent_s, 2), last_install_s=round(done_s, 2),
               installs_per_s=round(N_HERD / done_s), **d,
               install_p50_ms=round(lat["install_p50_us"] / 1000, 1),
               install_p99_ms=round(lat["install_p99_us"] / 1000, 1),
               fetch_p99_ms=round(lat["fetch_p99_us"] / 1000, 1),
               apply_p99_ms=round(lat["apply_p99_us"] / 1000, 1))
        assert d["installs"] == N_HERD, d
        assert d["identified"] == N_HERD and d["api_requests"] == N_HERD, d
        for lost in ("ring_full", "hs_queue_full", "pending_dropped",
                     "install_failures", "copy_failed", "inbox_drops",
                     "api_errors"):
            assert d[lost] == 0, f"{lost}: {d}"
        # Batches, not one backend call per peer.
        assert d["batches"] < N_HERD / 4, d
        gw = topo.gw_peers()
        assert all(k in gw for k in keys), "a herd peer is not in the device"
    finally:
        topo.stop_app()
        remove_jit_peers(topo)


@pytest.mark.dts_timeout(240)
def test_14_minted_flood_returning(topo, record):
    """Minted keys fill their share of the fetch queue while a returning
    client (an expired answer in the cache) connects at once."""
    url = nginx_url(topo)
    pcap, _ = herd_pcap(topo, "minted", N_MINTED, "10.202.0.0/16")
    c = topo.client("m00", 150)
    c.set_key(*genkey())
    topo.nginx_add(c.pub, [c.addr + "/32"])
    # A control plane that takes 200 requests/s: the minted keys (404s)
    # queue for many seconds.
    app = topo.start_app({"control_plane": {"url": url, "max_per_second": "200"},
                          "cache": {"positive_ttl": "2"},
                          "evict": {"idle_timeout": "2", "grace": "10",
                                    "interval": "1"}})
    try:
        c.up()
        assert c.ping(timeout=3), "the client did not connect the first time"
        c.down()
        wait_for(lambda: c.pub not in topo.gw_peers(), 30, what="eviction")
        time.sleep(2.5)                 # its answer is expired now
        s0 = app.stats()
        sender = _tcpreplay(topo, pcap, 3000)
        wait_for(lambda: app.stat("never_seen") - s0["never_seen"] > 2000, 20,
                 what="minted keys to queue")
        queued_new = app.stat("fetches_waiting")
        c.restart()
        c.up()
        t = c.timed_ping(timeout=4)
        s1 = app.stats()
        sender.communicate(timeout=60)
        record(minted=N_MINTED, queued_then=queued_new,
               first_ping_s=round(t, 3) if t else None,
               returning=s1["returning"] - s0["returning"],
               never_seen=s1["never_seen"] - s0["never_seen"])
        c.down()
        assert queued_new > 1000, "the minted keys did not queue"
        assert t is not None and t < 3.0, f"the returning client took {t}s"
        assert s1["returning"] - s0["returning"] >= 1
    finally:
        topo.stop_app()
        remove_jit_peers(topo)
