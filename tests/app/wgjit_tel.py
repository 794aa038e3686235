#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Query a DPDK telemetry socket (dpdk_telemetry.v2) once.

usage: wgjit_tel.py FILE_PREFIX COMMAND[,PARAM] [--wait SECONDS]

Prints the reply's value as JSON on one line. A flat dict is printed as
key=value lines instead when --flat is given. Exit 1 when the socket
cannot be reached; 2 when the reply is null (the command failed).
"""

import json
import os
import socket
import sys
import time


def query(prefix, cmd, wait):
    path = os.path.join("/var/run/dpdk", prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + wait
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(path)
            break
        except OSError:
            s.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
    with s:
        hello = json.loads(s.recv(16384).decode())
        s.send(cmd.encode())
        reply = json.loads(s.recv(1 << 20).decode())
    return hello, reply


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flat = "--flat" in sys.argv
    wait = 0.0
    if "--wait" in sys.argv:
        wait = float(sys.argv[sys.argv.index("--wait") + 1])
        args.remove(sys.argv[sys.argv.index("--wait") + 1])
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    prefix, cmd = args
    try:
        _, reply = query(prefix, cmd, wait)
    except OSError as e:
        print(f"wgjit_tel.py: {prefix}: {e}", file=sys.stderr)
        return 1
    value = reply.get(cmd.split(",")[0])
    if value is None:
        print("null")
        return 2
    if flat and isinstance(value, dict):
        for k, v in value.items():
            print(f"{k}={v}")
    else:
        print(json.dumps(value, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
