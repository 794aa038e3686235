#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Query a DPDK telemetry socket (dpdk_telemetry.v2) once.

usage: wgjit_tel.py FILE_PREFIX COMMAND[,PARAM] [--wait SECONDS]
                   [--until KEY=N]

Prints the reply's value as JSON on one line. A flat dict is printed as
key=value lines instead when --flat is given. Exit 1 when the socket
cannot be reached; 2 when the reply is null (the command failed).
--until KEY=N asks again every 10 ms, in this one process (a shell loop
of queries would load the machine it measures), until the reply's KEY
is at least N, for at most --wait seconds; exit 3 when it never is.
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


def option(name):
    """The value after --NAME, or None; removes nothing from argv."""
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return None


def until(prefix, cmd, key, target, wait):
    """Ask until value[key] >= target; the last value, or None."""
    deadline = time.monotonic() + wait
    while True:
        _, reply = query(prefix, cmd, 0.0)
        value = reply.get(cmd.split(",")[0])
        if value is None or value.get(key, 0) >= target or \
                time.monotonic() >= deadline:
            return value
        time.sleep(0.01)


def main():
    values = {option("--wait"), option("--until")} - {None}
    args = [a for a in sys.argv[1:]
            if not a.startswith("--") and a not in values]
    flat = "--flat" in sys.argv
    wait = float(option("--wait") or 0.0)
    cond = option("--until")
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    prefix, cmd = args
    try:
        if cond is not None:
            key, _, target = cond.partition("=")
            value = until(prefix, cmd, key, int(target), wait)
        else:
            _, reply = query(prefix, cmd, wait)
            value = reply.get(cmd.split(",")[0])
    except OSError as e:
        print(f"wgjit_tel.py: {prefix}: {e}", file=sys.stderr)
        return 1
    if value is None:
        print("null")
        return 2
    if cond is not None and value.get(key, 0) < int(target):
        print(f"wgjit_tel.py: {key}={value.get(key)} after {wait} s, "
              f"not {target}", file=sys.stderr)
        return 3
    if flat and isinstance(value, dict):
        for k, v in value.items():
            print(f"{k}={v}")
    else:
        print(json.dumps(value, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
