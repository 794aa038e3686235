# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""The DTS topology: tests/lib/topo.py's, named "wgjd" + pid, with the
DTS default wgjit configuration (docs/dts.md).

The test process itself stays in the root namespace; in_netns() moves the
calling thread into a namespace for a moment (sockets keep theirs), which
is how the admin API, scapy and raw sockets reach inside.
"""

import base64
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lib"))
import topo  # noqa: E402
from topo import (CL_ADDR, GW_ADDR, GW_PORT, TUN_GW, Client,  # noqa: E402
                  genkey, in_netns, key_url, merge_conf, run, wait_for,
                  wgjit_argv, wgjit_binary, wire_addr, write_conf)

# What the cases and dts/pkt.py import: topo.py's, and the DTS classes.
__all__ = ["CL_ADDR", "GW_ADDR", "GW_PORT", "TUN_GW", "App", "Client", "Topology",
           "genkey", "genkey_fast", "in_netns", "key_url", "merge_conf", "run",
           "wait_for", "wgjit_argv", "wgjit_binary", "wire_addr", "write_conf"]


class App(topo.App):
    """wgjit with the DTS defaults under the topology's own keys."""

    BASE = {
        "wireguard": {"backend": "uapi"},
        "bringup": {"mode": "initiate"},
        "cache": {"negative_ttl": "1", "positive_ttl": "300"},
        "control_plane": {"timeout_ms": "2000", "min_refetch": "1"},
        "ratelimit": {"per_source_rate": "200", "per_source_burst": "100"},
        "evict": {"idle_timeout": "60", "grace": "10", "interval": "1"},
    }


class Topology(topo.Topology):
    """One per session; DTS_KEEP=1 keeps its directory; DTS_UPLINK=steer
    runs every wgjit in steer mode (the kernel keeps the veth)."""

    App = App

    def __init__(self):
        super().__init__(f"wgjd{os.getpid() % 100000}")
        self.steer = os.environ.get("DTS_UPLINK", "bump") == "steer"

    def setup(self, **kw):
        return super().setup(kernel=self.steer, **kw)

    def close(self, keep=None):
        super().close(keep=bool(os.environ.get("DTS_KEEP")) if keep is None else keep)


def genkey_fast():
    """(private, public) base64, in-process: for thousands of keys."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives import serialization as ser
    k = X25519PrivateKey.generate()
    priv = k.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
    pub = k.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return base64.b64encode(priv).decode(), base64.b64encode(pub).decode()
