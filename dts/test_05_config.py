# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Case 10: bad config files and command lines stop wgjit with a clear
message that names the key (or the argument) and a non-zero exit."""

import shutil
import subprocess

import pytest

from dtslib import merge_conf, wgjit_argv, wgjit_binary, write_conf

BAD_CONFIGS = [
    ("unknown_key", "[wireguard]\ncolour = blue\n", ["wireguard.colour"]),
    ("unknown_section", "[wireguardd]\ninterface = wg0\n", ["wireguardd"]),
    ("bad_value", "[evict]\nidle_timeout = soon\n", ["evict.idle_timeout", "soon"]),
    ("out_of_range", "[control_plane]\nmax_inflight = 0\n",
     ["control_plane.max_inflight"]),
    ("unknown_backend", "[wireguard]\nbackend = carrier-pigeon\n",
     ["wireguard.backend", "carrier-pigeon"]),
    ("repeated_key", "[tap]\nname = a\nname = b\n", ["tap.name"]),
    ("bad_bool", "[telemetry]\nenabled = perhaps\n", ["telemetry.enabled", "perhaps"]),
]


def _run(topo, args, netns=False):
    prefix = topo.prefix + "_x"
    cmd = wgjit_argv(wgjit_binary(), prefix, ["net_null0"], args, mem_mb=128, log=False)
    if netns:
        cmd = ["ip", "netns", "exec", topo.gw] + cmd
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("name,text,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_10_bad_config(topo, record, name, text, words):
    path = topo.tmp / f"bad_{name}.conf"
    path.write_text(text)
    rc, out = _run(topo, ["--config", str(path)])
    cause = [ln for ln in out.splitlines() if "wgjit" in ln]
    record(exit=rc)
    assert rc != 0
    for w in words:
        assert any(w in ln for ln in cause), f"{w!r} not named in: {cause}"


def test_10_missing_file(topo, record):
    path = topo.tmp / "no-such.conf"
    rc, out = _run(topo, ["--config", str(path)])
    assert rc != 0
    assert str(path) in out


def test_10_no_such_interface(topo, record):
    """A config that parses but names a WireGuard interface that does not
    exist: wgjit must say so and stop (run in the gateway namespace, with
    the control plane up, so it gets as far as opening the device)."""
    path = write_conf(topo.tmp / "bad_iface.conf", merge_conf(topo.base_conf(), {
        "wireguard": {"interface": "wgjdnosuch"},
        "tap": {"name": topo.ifname("y")},
        "cache": {"path": topo.tmp / "bad_iface.sqlite"}}))
    rc, out = _run(topo, ["--config", str(path)], netns=True)
    assert rc != 0
    assert "wireguard.interface" in out and "wgjdnosuch" in out, out[-500:]


@pytest.mark.parametrize("args,words", [
    (["--bogus"], ["bad arguments"]),
    (["--config"], ["bad arguments"]),
    (["--config", "/dev/null", "extra"], ["unexpected argument", "extra"]),
], ids=["unknown_option", "missing_value", "extra_argument"])
def test_10_bad_command_line(topo, args, words):
    rc, out = _run(topo, args)
    assert rc != 0
    for w in words:
        assert w in out, out[-500:]
