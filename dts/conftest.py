# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""DTS fixtures: one topology per session, the figures of every case.

Figures go to dts/out/summary.json as {case: {figure: value}}; the run
before is kept as summary.prev.json and a short diff is printed at the end.
"""

import json
import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dtslib  # noqa: E402

OUT = Path(os.environ.get("DTS_OUT", Path(__file__).resolve().parent / "out"))
FIGURES = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "dts_timeout(s): per-case time limit")


@pytest.fixture(scope="session")
def topo():
    why = dtslib.topo.missing()
    if why:
        pytest.skip(f"DTS {why}")
    t = dtslib.Topology()
    try:
        t.setup()
        yield t
    finally:
        t.close()


@pytest.fixture
def app(topo):
    """wgjit with the default DTS config, started if not running."""
    if topo.app is None or topo.app.conf != dtslib.App(topo).conf:
        topo.start_app()
    topo.fault("none")
    return topo.app


@pytest.fixture
def record(request):
    """record(figure=value, ...) for the current case."""
    case = request.node.name
    FIGURES.setdefault(case, {})

    def put(**kw):
        FIGURES[case].update(kw)
    return put


@pytest.fixture(autouse=True)
def _stop_new_clients(request):
    """The wireguard-go clients a case made stop with it: each holds an
    inotify instance (its UAPI socket), and a user gets 128 of those."""
    if "topo" not in request.fixturenames:
        yield
        return
    topo = request.getfixturevalue("topo")
    before = set(topo.clients)
    yield
    new = [topo.clients.pop(n) for n in set(topo.clients) - before]

    def stop(c):
        try:
            c.stop()
        except Exception:       # noqa: BLE001 - best effort, logged
            print(f"client {c.name} did not stop cleanly")
    threads = [threading.Thread(target=stop, args=(c,)) for c in new]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.fixture(autouse=True)
def _case_timeout(request):
    """A hard per-case time limit (SIGALRM), default 120 s."""
    import signal
    m = request.node.get_closest_marker("dts_timeout")
    limit = int(m.args[0]) if m else 120

    def expired(signum, frame):
        raise TimeoutError(f"case exceeded its {limit}s limit")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(limit)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _flat(d):
    return {(c, k): v for c, figs in d.items() for k, v in figs.items()}


def _diff(prev, cur):
    lines = []
    p, c = _flat(prev), _flat(cur)
    for key in sorted(set(p) | set(c)):
        a, b = p.get(key), c.get(key)
        if a == b:
            continue
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a:
            lines.append(f"{key[0]}.{key[1]}: {a} -> {b} ({(b - a) / abs(a):+.0%})")
        else:
            lines.append(f"{key[0]}.{key[1]}: {a} -> {b}")
    return lines


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    OUT.mkdir(parents=True, exist_ok=True)
    cur_path, prev_path = OUT / "summary.json", OUT / "summary.prev.json"
    prev = {}
    if cur_path.exists():
        try:
            prev = json.loads(cur_path.read_text())
        except ValueError:
            prev = {}
        cur_path.replace(prev_path)
    merged = {c: dict(f) for c, f in prev.items()}   # cases not run now
    merged.update({c: dict(f) for c, f in FIGURES.items() if f})
    cur_path.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    tr = terminalreporter
    tr.section("dts figures")
    for case, figs in sorted(merged.items()):
        tr.write_line(f"{case}: " + ", ".join(f"{k}={v}" for k, v in sorted(figs.items())))
    if prev:
        tr.section("dts diff against the previous run")
        for line in _diff(prev, merged) or ["(no change)"]:
            tr.write_line(line)
    tr.write_line(f"summary: {cur_path}")
