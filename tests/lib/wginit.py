#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""A WireGuard handshake initiator (first message only), for tests.

Written from the WireGuard paper with Python's hashlib/hmac and the
cryptography package, independently of wgjit's C code, so that it can
craft what the internet sends: valid initiations from many peers with
fresh ephemerals, forged ones that claim someone else's static key,
replays, floods. Its output is checked against real wireguard-go
(`send` gets a handshake response only if wireguard-go accepts it).

  wginit.py pcap --responder-pub B64 --out F.pcap [--count N]
                 [--keys-out FILE] [--claim B64] [--src 10.0.0.2]
                 [--dst 10.0.0.1:51820] [--distinct]
  wginit.py flood --responder-pub B64 --out F.pcap --count N
                 --src-net 10.200.0.0/16 [--dst 10.0.0.1:51820]
                 [--src-mac M] [--dst-mac M]
      N initiations with a valid mac1 and random contents (what anyone
      with the gateway's public key can send), each from a random source
      address of --src-net and a random port: a spoofed flood.
  wginit.py herd --responder-pub B64 --out F.pcap --keys-out FILE
                 --count N --src-net 10.201.0.0/16 [--dst ...] [--src-mac M]
                 [--dst-mac M]
      N valid initiations of N fresh keys (their public keys to FILE) from
      N distinct sources: never-seen clients knocking at once, or minted
      keys.
  wginit.py send --responder-pub B64 --key FILE --to IP:PORT
  wginit.py spread --pcap F.pcap --iface IF --seconds S
      The frames of a pcap sent from a raw socket, spread evenly over S
      seconds in 1 ms bursts: tcpreplay --pps without the core its timer
      spins (on two cores that core is the gateway's).
"""

import argparse
import base64
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"


def blake2s(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def hmac_b2s(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()


def kdf(ck, data, n):
    t0 = hmac_b2s(ck, data)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac_b2s(t0, prev + bytes([i]))
        out.append(prev)
    return out


def raw_pub(priv):
    return priv.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_priv(priv):
    return priv.private_bytes(serialization.Encoding.Raw,
                              serialization.PrivateFormat.Raw,
                              serialization.NoEncryption())


def tai64n(t=None):
    t = time.time() if t is None else t
    sec = int(t)
    return struct.pack(">QI", (1 << 62) + 10 + sec, int((t - sec) * 1e9))


def aead(key, plain, ad):
    return ChaCha20Poly1305(key).encrypt(b"\0" * 12, plain, ad)


def initiation(static_priv, responder_pub, claim_pub=None, ts=None,
               sender=None, ephemeral=None):
    """148 bytes. With claim_pub, the static field names that key while the
    ss DH uses static_priv: a forgery that only the timestamp reveals."""
    e = ephemeral or X25519PrivateKey.generate()
    e_pub = raw_pub(e)
    s_pub = claim_pub or raw_pub(static_priv)
    r_pub = X25519PublicKey.from_public_bytes(responder_pub)
    ck = blake2s(CONSTRUCTION)
    h = blake2s(blake2s(ck, IDENTIFIER), responder_pub)
    h = blake2s(h, e_pub)
    ck = kdf(ck, e_pub, 1)[0]
    ck, k = kdf(ck, e.exchange(r_pub), 2)
    enc_static = aead(k, s_pub, h)
    h = blake2s(h, enc_static)
    ck, k = kdf(ck, static_priv.exchange(r_pub), 2)
    enc_ts = aead(k, tai64n() if ts is None else ts, h)
    sender = os.urandom(4) if sender is None else struct.pack("<I", sender)
    msg = b"\x01\0\0\0" + sender + e_pub + enc_static + enc_ts
    mac1 = hashlib.blake2s(msg, digest_size=16,
                           key=blake2s(LABEL_MAC1, responder_pub)).digest()
    return msg + mac1 + b"\0" * 16


def mac1_garbage(responder_pub):
    """148 bytes: type 1, random contents, a valid mac1, no mac2."""
    msg = b"\x01\0\0\0" + os.urandom(112)
    mac1 = hashlib.blake2s(msg, digest_size=16,
                           key=blake2s(LABEL_MAC1, responder_pub)).digest()
    return msg + mac1 + b"\0" * 16


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp4_frame(src_mac, dst_mac, src, dst, sport, dport, payload):
    """Ethernet + IPv4 + UDP with correct checksums (no scapy: fast)."""
    ulen = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64,
                     17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = _csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    """A classic pcap (Ethernet link type) of raw frames."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = time.time()
        for i, fr in enumerate(frames):
            ts = t + i * 1e-6
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6),
                                len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    """The frames of a classic little-endian pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if struct.unpack_from("<I", data)[0] != 0xa1b2c3d4:
        raise ValueError(f"{path}: not a little-endian classic pcap")
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<IIII", data, off)[2]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def cmd_spread(a):
    frames = read_pcap(a.pcap)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    n, t0 = len(frames), time.monotonic()
    sent = 0
    while sent < n:
        # Frames due by now (the schedule, not the sends, sets the pace).
        due = min(n, int((time.monotonic() - t0) / a.seconds * n) + 1)
        while sent < due:
            s.send(frames[sent])
            sent += 1
        nxt = t0 + sent * a.seconds / n
        time.sleep(max(0.0, min(0.001, nxt - time.monotonic())))
    print(f"{n} frames in {time.monotonic() - t0:.3f} s", file=sys.stderr)
    return 0


def _mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def cmd_flood(a):
    import ipaddress
    rpub = b64key(a.responder_pub)
    dst_ip, dst_port = a.dst.rsplit(":", 1)
    net = ipaddress.ip_network(a.src_net)
    src_mac, dst_mac = _mac(a.src_mac), _mac(a.dst_mac)
    dst = ipaddress.ip_address(dst_ip).packed
    frames = []
    for _ in range(a.count):
        host = net.network_address + 1 + \
            int.from_bytes(os.urandom(4), "big") % (net.num_addresses - 2)
        frames.append(udp4_frame(src_mac, dst_mac, host.packed, dst,
                                 1024 + int.from_bytes(os.urandom(2), "big") % 60000,
                                 int(dst_port), mac1_garbage(rpub)))
    write_pcap(a.out, frames)


def cmd_herd(a):
    """N never-seen clients knocking at once: one valid initiation each,
    from distinct keys and distinct sources (hosts of --src-net in order);
    their public keys go to --keys-out, one per line."""
    import ipaddress
    rpub = b64key(a.responder_pub)
    dst_ip, dst_port = a.dst.rsplit(":", 1)
    hosts = ipaddress.ip_network(a.src_net).hosts()
    src_mac, dst_mac = _mac(a.src_mac), _mac(a.dst_mac)
    dst = ipaddress.ip_address(dst_ip).packed
    frames, keys = [], []
    for i in range(a.count):
        priv = X25519PrivateKey.generate()
        keys.append(base64.b64encode(raw_pub(priv)).decode())
        frames.append(udp4_frame(src_mac, dst_mac, next(hosts).packed, dst,
                                 40000 + i % 20000, int(dst_port),
                                 initiation(priv, rpub)))
    write_pcap(a.out, frames)
    with open(a.keys_out, "w") as f:
        f.write("\n".join(keys) + "\n")


def b64key(text):
    k = base64.b64decode(text.strip())
    if len(k) != 32:
        raise SystemExit("wginit: not a 32-byte base64 key: %r" % text)
    return k


def cmd_pcap(a):
    from scapy.all import Ether, IP, UDP, wrpcap
    rpub = b64key(a.responder_pub)
    dst_ip, dst_port = a.dst.rsplit(":", 1)
    claim = b64key(a.claim) if a.claim else None
    base = X25519PrivateKey.generate()
    frames, keys = [], []
    t0 = time.time()
    for i in range(a.count):
        priv = X25519PrivateKey.generate() if a.distinct or i == 0 else base
        if i == 0:
            base = priv
        keys.append(base64.b64encode(raw_pub(priv)).decode())
        payload = initiation(priv, rpub, claim_pub=claim,
                             ts=tai64n(t0 + i * 1e-3))
        frames.append(Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") /
                      IP(src=a.src, dst=dst_ip) /
                      UDP(sport=40000 + i % 20000, dport=int(dst_port)) /
                      payload)
    wrpcap(a.out, frames)
    if a.keys_out:
        with open(a.keys_out, "w") as f:
            f.write("\n".join(keys) + "\n")


def cmd_send(a):
    rpub = b64key(a.responder_pub)
    with open(a.key) as f:
        priv = X25519PrivateKey.from_private_bytes(b64key(f.read()))
    host, port = a.to.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(a.timeout)
    s.sendto(initiation(priv, rpub), (host, int(port)))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        print("no response")
        return 1
    if len(data) == 92 and data[0] == 2:
        print("response")
        return 0
    print("unexpected reply type %d length %d" % (data[0], len(data)))
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pcap")
    p.add_argument("--responder-pub", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--keys-out")
    p.add_argument("--claim", help="claim this static key (forgery)")
    p.add_argument("--src", default="10.0.0.2")
    p.add_argument("--dst", default="10.0.0.1:51820")
    p.add_argument("--distinct", action="store_true",
                   help="a new static key per initiation")
    p = sub.add_parser("flood")
    p.add_argument("--responder-pub", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--src-net", required=True)
    p.add_argument("--dst", default="10.0.0.1:51820")
    p.add_argument("--src-mac", default="02:00:00:00:00:02")
    p.add_argument("--dst-mac", default="02:00:00:00:00:01")
    p = sub.add_parser("herd")
    p.add_argument("--responder-pub", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--keys-out", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--src-net", required=True)
    p.add_argument("--dst", default="10.0.0.1:51820")
    p.add_argument("--src-mac", default="02:00:00:00:00:02")
    p.add_argument("--dst-mac", default="02:00:00:00:00:01")
    p = sub.add_parser("send")
    p.add_argument("--responder-pub", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--timeout", type=float, default=2.0)
    p = sub.add_parser("spread")
    p.add_argument("--pcap", required=True)
    p.add_argument("--iface", required=True)
    p.add_argument("--seconds", type=float, required=True)
    a = ap.parse_args()
    return {"pcap": cmd_pcap, "flood": cmd_flood, "herd": cmd_herd,
            "send": cmd_send, "spread": cmd_spread}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main() or 0)
