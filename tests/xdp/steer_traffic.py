#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Traffic for tests/xdp/steer_veth.sh.

  steer_traffic.py sink --ports P1,P2 --ready FILE --out FILE
      bind UDP [::]:P (dual stack) for each port; on SIGTERM write one
      line per (port, first byte, length): "PORT TYPE LEN COUNT".
  steer_traffic.py udp --to ADDR --port P --type T --len L [--count N]
      send N datagrams of L bytes: T 00 00 00 then random bytes.
  steer_traffic.py raw --iface IF --dst-mac MAC --src4 A --dst4 B
      --port P KIND...
      write hand-made Ethernet frames with an AF_PACKET socket, for
      what a UDP socket cannot send. KIND: dot1q-init, dot1ad-init,
      qinq-init, arp, truncated.
  steer_traffic.py tap --iface TAP --dst-mac MAC --src A --dst B
      --port P [--count N]
      attach to an existing (ip tuntap) TAP and write N initiations from
      A to B:P into it, as wgjit would reinject them (scapy builds them,
      with the checksums the kernel checks). Exit 3 if a write fails.
"""

import argparse
import collections
import os
import select
import signal
import socket
import struct
import sys


def payload(msg_type, length):
    return bytes([msg_type, 0, 0, 0]) + os.urandom(max(0, length - 4))


def cmd_sink(a):
    socks = []
    for port in (int(p) for p in a.ports.split(",")):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port))
        socks.append((s, port))
    counts = collections.Counter()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(a.ready, "w") as f:
        f.write("ready\n")
    while not stop:
        try:
            ready, _, _ = select.select([s for s, _ in socks], [], [], 0.1)
        except InterruptedError:
            continue
        for s, port in socks:
            if s in ready:
                data = s.recv(65535)
                counts[(port, data[0] if data else -1, len(data))] += 1
    with open(a.out, "w") as f:
        for (port, t, n), c in sorted(counts.items()):
            f.write(f"{port} {t} {n} {c}\n")
    return 0


def cmd_udp(a):
    fam = socket.AF_INET6 if ":" in a.to else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for _ in range(a.count):
        s.sendto(payload(a.type, a.len), (a.to, a.port))
    return 0


def ipv4_udp(src, dst, port, body, claim_extra=0):
    """IPv4 + UDP, checksums zero: no kernel stack takes these as IP (they
    are steered, doubly tagged or truncated), and XDP checks neither."""
    udp = struct.pack("!HHHH", 40000, port, 8 + len(body), 0) + body
    tot = 20 + len(udp) + claim_extra
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr + udp


def cmd_raw(a):
    dst = bytes.fromhex(a.dst_mac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    src = s.getsockname()[4]
    init = ipv4_udp(a.src4, a.dst4, a.port, payload(1, 148))
    frames = {
        "dot1q-init": struct.pack("!HHH", 0x8100, 7, 0x0800) + init,
        "dot1ad-init": struct.pack("!HHH", 0x88a8, 7, 0x0800) + init,
        "qinq-init": struct.pack("!HHHHH", 0x88a8, 7, 0x8100, 8, 0x0800) +
        init,
        "arp": struct.pack("!HHHBBH6s4s6s4s", 0x0806, 1, 0x0800, 6, 4, 1,
                           src, socket.inet_aton(a.src4), b"\0" * 6,
                           socket.inet_aton(a.dst4)) + b"\0" * 18,
        "truncated": struct.pack("!H", 0x0800) +
        ipv4_udp(a.src4, a.dst4, a.port, payload(1, 148), claim_extra=40),
    }
    for kind in a.kinds:
        s.send(dst + src + frames[kind])
    return 0


def cmd_tap(a):
    import fcntl
    from scapy.all import IP, UDP, Ether, IPv6, raw
    TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454ca, 0x0002, 0x1000
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF,
                struct.pack("16sH", a.iface.encode(), IFF_TAP | IFF_NO_PI))
    ip = IPv6(src=a.src, dst=a.dst) if ":" in a.dst else \
        IP(src=a.src, dst=a.dst)
    frame = Ether(src="02:00:00:00:00:07", dst=a.dst_mac) / ip / \
        UDP(sport=40000, dport=a.port)
    try:
        for _ in range(a.count):
            os.write(fd, raw(frame / payload(1, 148)))
    except OSError as e:
        print(f"write: {e.strerror}")
        return 3
    finally:
        os.close(fd)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("sink")
    q.add_argument("--ports", required=True)
    q.add_argument("--ready", required=True)
    q.add_argument("--out", required=True)
    q = sub.add_parser("udp")
    q.add_argument("--to", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--type", type=int, default=1)
    q.add_argument("--len", type=int, default=148)
    q.add_argument("--count", type=int, default=1)
    q = sub.add_parser("raw")
    q.add_argument("--iface", required=True)
    q.add_argument("--dst-mac", required=True)
    q.add_argument("--src4", required=True)
    q.add_argument("--dst4", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("kinds", nargs="+")
    q = sub.add_parser("tap")
    q.add_argument("--iface", required=True)
    q.add_argument("--dst-mac", required=True)
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--count", type=int, default=1)
    a = p.parse_args()
    return {"sink": cmd_sink, "udp": cmd_udp, "raw": cmd_raw,
            "tap": cmd_tap}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
