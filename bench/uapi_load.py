#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Drive a wireguard-go device over its UAPI socket, for the benchmarks.

  uapi_load.py push IFNAME N [--batch 1000]
      Add N peers (random public keys, one /32 each under 10.128.0.0/9)
      in set=1 messages of --batch peers, as a push gateway's restart
      must; print "N seconds" (the time until the last errno=0).
  uapi_load.py count IFNAME
      Print the number of peers in the device.
"""

import argparse
import os
import socket
import sys
import time


def uapi(ifname):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/var/run/wireguard/%s.sock" % ifname)
    return s


def read_reply(s):
    buf = b""
    while not buf.endswith(b"\n\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            raise SystemExit("uapi: connection closed")
        buf += chunk
    return buf.decode()


def push(ifname, n, batch):
    s = uapi(ifname)
    t0 = time.monotonic()
    for start in range(0, n, batch):
        lines = ["set=1"]
        for i in range(start, min(n, start + batch)):
            ip = 0x0A800000 + i     # 10.128.0.0 + i
            lines += ["public_key=" + os.urandom(32).hex(),
                      "replace_allowed_ips=true",
                      "allowed_ip=%d.%d.%d.%d/32" % (
                          ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
                          ip & 255)]
        s.sendall(("\n".join(lines) + "\n\n").encode())
        reply = read_reply(s)
        if reply.strip() != "errno=0":
            raise SystemExit("uapi: set failed: %r" % reply.strip())
    return time.monotonic() - t0


def count(ifname):
    s = uapi(ifname)
    s.sendall(b"get=1\n\n")
    return read_reply(s).count("\npublic_key=")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=("push", "count"))
    ap.add_argument("ifname")
    ap.add_argument("n", type=int, nargs="?", default=0)
    ap.add_argument("--batch", type=int, default=1000)
    a = ap.parse_args()
    if a.cmd == "push":
        print(a.n, "%.3f" % push(a.ifname, a.n, a.batch))
    else:
        print(count(a.ifname))


if __name__ == "__main__":
    main()
