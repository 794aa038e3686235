#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Pcaps for the benchmarks (replayed in a loop by net_pcap).

  gen_pcap.py mixed --responder-pub B64 --out F [--count 1000]
                    [--init-every 0] [--flood-every 0] [--flood-mac2 zero]
      WireGuard transport data (type 4) of mixed sizes to the gateway port from
      many sources, some plain UDP; with --init-every N, every Nth frame
      is an initiation from a distinct peer and a distinct source; with
      --flood-every N, every Nth frame is mac1-valid garbage (what anyone
      with the gateway's public key can send) from a random source, with
      --flood-mac2 zero a mac2 of zeros (a first initiation's), with random
      one that costs the gateway the whole mac2 check.
  gen_pcap.py inits --responder-pub B64 --out F [--count 2000]
      Initiations only, each from a distinct peer (fresh ephemeral) and a
      distinct source address.

Initiations come from tests/lib/wginit.py (independent of wgjit's C code).
"""

import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "lib"))
import wginit  # noqa: E402
from topo import GW_PORT as PORT  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: E402
    X25519PrivateKey)
from scapy.all import Ether, IP, UDP, Raw, wrpcap  # noqa: E402

GW = "10.0.0.1"
# Frame payload sizes of the data mix (WireGuard data: 16-byte header,
# padded plaintext, 16-byte tag): small ACK-like, medium, full MTU.
DATA_SIZES = (32, 96, 96, 160, 576, 1440)


def src_of(i):
    return "10.%d.%d.%d" % (1 + (i >> 16) % 200, (i >> 8) & 255, 1 + i % 250)


def eth_ip_udp(i, sport, dport):
    return (Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
            IP(src=src_of(i), dst=GW) / UDP(sport=sport, dport=dport))


def data_frame(i):
    size = DATA_SIZES[i % len(DATA_SIZES)]
    if i % 10 == 9:     # plain UDP, not WireGuard
        return eth_ip_udp(i, 5000 + i % 1000, 53) / Raw(os.urandom(size))
    body = struct.pack("<IIQ", 4, 0x1000 + i % 4096, i) + os.urandom(size - 16)
    return eth_ip_udp(i, 40000 + i % 20000, PORT) / Raw(body)


def init_frame(i, rpub):
    priv = X25519PrivateKey.generate()
    return eth_ip_udp(i, 40000 + i % 20000, PORT) / Raw(
        wginit.initiation(priv, rpub))


def flood_frame(i, rpub, mac2):
    src = "10.%d.%d.%d" % (200 + i % 50, os.urandom(1)[0], 1 + os.urandom(1)[0] % 250)
    msg = wginit.mac1_garbage(rpub)
    if mac2 == "random":    # mac1 covers what is before it: still valid
        msg = msg[:-16] + os.urandom(16)
    return (Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
            IP(src=src, dst=GW) / UDP(sport=1024 + i % 60000, dport=PORT) /
            Raw(msg))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("mixed", "inits"))
    ap.add_argument("--responder-pub", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--init-every", type=int, default=0)
    ap.add_argument("--flood-every", type=int, default=0)
    ap.add_argument("--flood-mac2", choices=("zero", "random"),
                    default="zero")
    a = ap.parse_args()
    rpub = wginit.b64key(a.responder_pub)
    frames = []
    if a.kind == "mixed":
        n = a.count or 1000
        for i in range(n):
            if a.init_every and i % a.init_every == a.init_every - 1:
                frames.append(init_frame(i, rpub))
            elif a.flood_every and i % a.flood_every == a.flood_every - 1:
                frames.append(flood_frame(i, rpub, a.flood_mac2))
            else:
                frames.append(data_frame(i))
    else:
        n = a.count or 2000
        frames = [init_frame(i, rpub) for i in range(n)]
    wrpcap(a.out, frames)


if __name__ == "__main__":
    main()
