#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""Where in a live process do the bytes of a key sit?

  secret_scan.py PID KEY_B64
      Read every readable mapping of PID (/proc/PID/maps, /proc/PID/mem)
      and print one line per place the key appears (raw, hex, or base64),
      with whether the mapping is kept out of core dumps (VmFlags "dd" in
      /proc/PID/smaps). Exit 0 when every place is, 1 when one is not.
"""

import base64
import re
import sys


def vmflags(pid):
    flags, cur = {}, None
    for line in open(f"/proc/{pid}/smaps"):
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
        if m:
            cur = (int(m.group(1), 16), int(m.group(2), 16))
        elif line.startswith("VmFlags:") and cur:
            flags[cur] = line.split()[1:]
    return flags


def main():
    pid, key_b64 = int(sys.argv[1]), sys.argv[2]
    raw = base64.b64decode(key_b64)
    needles = {"raw": raw, "hex": raw.hex().encode(), "base64": key_b64.encode()}
    flags = vmflags(pid)
    bad = 0
    with open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for (lo, hi), f in flags.items():
            if "rd" not in f:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            for name, n in needles.items():
                start = 0
                while (i := data.find(n, start)) >= 0:
                    dd = "dd" in f
                    bad += not dd
                    print(f"{name} at {lo + i:#x} in {lo:#x}-{hi:#x} "
                          f"{'out of core dumps' if dd else 'DUMPABLE'}")
                    start = i + 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
