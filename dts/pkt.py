# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Frames on the client veth: build, send, capture, write to a pcap.

Frames are built by hand (Ethernet/IPv4/UDP with a correct UDP checksum)
so that nothing depends on scapy's view of the namespaces; initiations
come from tests/lib/wginit.py.
"""

import base64
import select
import socket
import struct
import time

import wginit
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from dtslib import CL_ADDR, GW_ADDR, GW_PORT, in_netns

ETH_P_ALL = 0x0003


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def _mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def frame(topo, payload, src=CL_ADDR, sport=40000, dst=GW_ADDR, dport=GW_PORT):
    """An Ethernet frame from the client veth to the gateway's uplink."""
    sip, dip = socket.inet_aton(src), socket.inet_aton(dst)
    ulen = 8 + len(payload)
    pseudo = sip + dip + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    ck = _csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0,
                     sip, dip)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return _mac(topo.vg_mac) + _mac(topo.vc_mac) + b"\x08\x00" + ip + udp


def udp_of(fr):
    """(src ip, sport, dst ip, dport, payload) of an IPv4/UDP frame or None."""
    if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        return None
    ihl = (fr[14] & 15) * 4
    l4 = 14 + ihl
    sport, dport, ulen = struct.unpack("!HHH", fr[l4:l4 + 6])
    return (socket.inet_ntoa(fr[26:30]), sport, socket.inet_ntoa(fr[30:34]), dport,
            fr[l4 + 8:l4 + ulen])


class Port:
    """A raw AF_PACKET socket on the client veth (made in the client netns)."""

    def __init__(self, topo):
        self.topo = topo
        with in_netns(topo.cl):
            self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                   socket.htons(ETH_P_ALL))
            self.s.bind((topo.vc, 0))

    def send(self, fr):
        self.s.send(fr)

    def capture(self, pred, timeout):
        """First outgoing frame whose udp_of() satisfies pred, or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                continue
            data, addr = self.s.recvfrom(65536)
            if addr[2] != socket.PACKET_OUTGOING:
                continue
            u = udp_of(data)
            if u and pred(u):
                return data

    def close(self):
        self.s.close()


def gw_pub_raw(topo):
    return base64.b64decode(topo.gw_pub)


def new_static():
    return X25519PrivateKey.generate()


def initiation(topo, static=None, claim_b64=None, ts_offset=0.0):
    """A valid 148-byte initiation to the gateway (wginit.initiation)."""
    claim = base64.b64decode(claim_b64) if claim_b64 else None
    return wginit.initiation(static or new_static(), gw_pub_raw(topo),
                             claim_pub=claim,
                             ts=wginit.tai64n(time.time() + ts_offset))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(fr), len(fr)))
            f.write(fr)
