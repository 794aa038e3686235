#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Where in a live process do the bytes of a key sit?

  secret_scan.py PID KEY_B64
      Read every readable mapping of PID (/proc/PID/maps, /proc/PID/mem)
      and print one line per place the key appears (raw, hex, or base64),
      with whether the mapping is kept out of core dumps (VmFlags "dd" in
      /proc/PID/smaps). Exit 0 when every place is, 1 when one is not.

Mappings with nothing resident or swapped are skipped (they read as
zeros), and so are those over 1 TiB: only a sanitizer's shadow is that
big, and it holds poison bytes, never copies of data. The rest is read
in chunks, so that a big mapping does not need its size in memory.
"""

import base64
import re
import sys


CHUNK = 16 << 20
SHADOW = 1 << 40


def vmflags(pid):
    """{(lo, hi): (VmFlags, resident or swapped kB)} of every mapping."""
    flags, kb, cur = {}, {}, None
    for line in open(f"/proc/{pid}/smaps"):
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
        if m:
            cur = (int(m.group(1), 16), int(m.group(2), 16))
            kb[cur] = 0
        elif cur and (line.startswith("Rss:") or line.startswith("Swap:")):
            kb[cur] += int(line.split()[1])
        elif line.startswith("VmFlags:") and cur:
            flags[cur] = (line.split()[1:], kb[cur])
    return flags


def chunks(mem, lo, hi, overlap):
    """(address, bytes) of [lo, hi) in CHUNK pieces that overlap."""
    at = lo
    while at < hi:
        n = min(CHUNK + overlap, hi - at)
        mem.seek(at)
        yield at, mem.read(n)
        at += CHUNK


def main():
    pid, key_b64 = int(sys.argv[1]), sys.argv[2]
    raw = base64.b64decode(key_b64)
    needles = {"raw": raw, "hex": raw.hex().encode(), "base64": key_b64.encode()}
    overlap = max(len(n) for n in needles.values()) - 1
    flags = vmflags(pid)
    bad = 0
    with open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for (lo, hi), (f, kb) in flags.items():
            if "rd" not in f or kb == 0:
                continue
            if hi - lo >= SHADOW:
                print(f"skipped {lo:#x}-{hi:#x}: {(hi - lo) >> 40} TiB, "
                      "a sanitizer's shadow", file=sys.stderr)
                continue
            dd = "dd" in f
            try:
                for at, data in chunks(mem, lo, hi, overlap):
                    for name, n in needles.items():
                        start = 0
                        while (i := data.find(n, start)) >= 0:
                            # A hit in the overlap is the next chunk's.
                            if i < CHUNK or at + CHUNK >= hi:
                                bad += not dd
                                print(f"{name} at {at + i:#x} in "
                                      f"{lo:#x}-{hi:#x} "
                                      f"{'out of core dumps' if dd else 'DUMPABLE'}")
                            start = i + 1
            except (OSError, ValueError, OverflowError):
                continue
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
