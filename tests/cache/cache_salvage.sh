#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The operator's way back from a corrupt cache, as docs/operations.md
# tells it: wgjit refuses the file and names the command; `wgjit-cache
# salvage PATH` moves it aside and writes a new cache with the replay
# floors that can still be read, which wgjit-cache's own output counts
# and which SQLite reads back from the new file.
#
# usage: cache_salvage.sh WGJIT_CACHE_TOOL
set -euo pipefail
tool=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/cache.sqlite
fail() { echo "FAIL: $*"; exit 1; }

# A cache as wgjit 1 wrote it (schema version 1): 3000 floors.
/usr/bin/python3 - "$db" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE peer(key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),
 kind INTEGER NOT NULL, expires_ms INTEGER NOT NULL, next_fetch_ms INTEGER
 NOT NULL, failures INTEGER NOT NULL, flags INTEGER NOT NULL DEFAULT 0,
 psk BLOB, keepalive INTEGER NOT NULL DEFAULT 0, endpoint BLOB,
 allowed_ips TEXT NOT NULL DEFAULT '') STRICT;
CREATE TABLE replay(key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),
 ts BLOB NOT NULL CHECK(length(ts) = 12)) STRICT;
CREATE TABLE installed(key BLOB PRIMARY KEY NOT NULL CHECK(length(key) = 32),
 endpoint BLOB, installed_ms INTEGER NOT NULL) STRICT;
PRAGMA user_version = 1;
""")
with db:
    for i in range(3000):
        k = i.to_bytes(4, "big") + bytes(28)
        db.execute("INSERT INTO replay VALUES(?, ?)",
                   (k, b"\x40" + bytes(7) + i.to_bytes(4, "big")))
db.close()
os.chmod(sys.argv[1], 0o600)
# A leaf page of the floors overwritten, as a bad disk would.
db = sqlite3.connect(sys.argv[1])
page = db.execute("SELECT pageno FROM dbstat WHERE name = 'replay' AND"
                  " pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 5").fetchone()[0]
size = db.execute("PRAGMA page_size").fetchone()[0]
db.close()
with open(sys.argv[1], "r+b") as f:
    f.seek((page - 1) * size)
    f.write(bytes((i * 31 + 7) % 256 for i in range(size)))
PY

out=$("$tool" salvage "$db") || fail "salvage failed: $out"
echo "$out"
n=$(sed -n 's/^wgjit-cache: \([0-9]*\) replay floors kept.*/\1/p' <<<"$out")
[ -n "$n" ] || fail "no count in: $out"
[ "$n" -ge 2700 ] && [ "$n" -lt 3000 ] || fail "$n floors kept of 3000"
ls "$db".corrupt-* >/dev/null || fail "the damaged file was not kept"
[ "$(stat -c %a "$db")" = 600 ] || fail "new file mode $(stat -c %a "$db")"
/usr/bin/python3 - "$db" "$n" <<'PY' || fail "the new cache does not hold them"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
assert db.execute("PRAGMA user_version").fetchone()[0] == 2
rows = db.execute("SELECT key, ts FROM replay").fetchall()
assert len(rows) == int(sys.argv[2]), len(rows)
for k, ts in rows:
    assert ts[8:] == k[:4], (k, ts)     # each floor is its own key's
PY
"$tool" salvage "$tmp/nothing" 2>/dev/null && fail "salvage of no file"
"$tool" 2>/dev/null && fail "no arguments accepted"
echo "salvage: $n of 3000 floors kept"
