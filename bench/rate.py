#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Counter rates of a running DPDK app, read from its telemetry socket.

usage: rate.py FILE_PREFIX SECONDS CMD:KEY[+KEY...] [CMD:KEY...]

Reads every CMD at t0 and t1 = t0 + SECONDS and prints one line per
CMD:KEY spec: the spec and (sum of KEYs at t1 - at t0) / (t1 - t0) per
second, with the exact elapsed time. Exit 1 when the socket is missing.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "app"))
import wgjit_tel  # noqa: E402


def sample(prefix, cmds):
    out = {}
    for cmd in cmds:
        _, reply = wgjit_tel.query(prefix, cmd, 5.0)
        out[cmd] = reply.get(cmd.split(",")[0]) or {}
    return out, time.monotonic()


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    prefix, seconds = sys.argv[1], float(sys.argv[2])
    specs = [s.split(":", 1) for s in sys.argv[3:]]
    cmds = sorted({c for c, _ in specs})
    try:
        a, t0 = sample(prefix, cmds)
        time.sleep(seconds)
        b, t1 = sample(prefix, cmds)
    except OSError as e:
        print("rate.py: %s: %s" % (prefix, e), file=sys.stderr)
        return 1
    for cmd, keys in specs:
        d = sum(b[cmd].get(k, 0) - a[cmd].get(k, 0) for k in keys.split("+"))
        print("%s:%s %.1f" % (cmd, keys, d / (t1 - t0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
