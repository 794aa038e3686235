#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""The test topology: every name, address, port and set-up step, in one place.

The gateway tests, the DTS suite, the benchmarks and the demo stand on it:

    netns CL: wireguard-go clients (tun_addr(slot)/32), veth VC 10.77.0.2/24
    netns GW: VG (af_packet uplink of wgjit) -> wgjit -> TAP 10.77.0.1/24 ->
              wireguard-go gateway GWIF 10.99.0.1/16 (UAPI backend, one
              static peer set by hand), devtools/wgjit-cp.py on 127.0.0.1,
              a SQLite cache file.

The GW kernel must not answer on VG beside wgjit (it would answer ARP), so
an nftables netdev ingress chain drops everything there; af_packet still
sees the frames. TX checksum offload is off on both veth ends (or UDP
arrives with partial checksums); IPv6 is off in both namespaces. On a
"kernel" wire the GW kernel owns VG instead (10.77.0.1 on it, no drop
chain): for tests of the control path or of wireguard-go without wgjit.

Every name is PREFIX + one letter (clients: PREFIX + their name); the
prefix carries the pid of the run, so that concurrent runs on one machine
stay apart: wireguard-go's UAPI sockets (/var/run/wireguard/IF.sock) are
shared by all namespaces. Keys, logs, configs and the record of every
process started live in the state directory.

Python (dts/, bench): Topology(prefix).setup(); .client(name, slot);
.start_app(overrides); .close(). in_netns() runs a block inside a
namespace (setns on the calling thread only).

Command line (shell tests, through tests/lib/topo.sh), on the state
directory --state DIR (default $TOPO_STATE). The processes a call starts
outlive it; `down` stops them and removes everything:

  init --prefix P              names and keys, no network yet
  up [--prefix P] [--kernel] [--no-static] [--no-cp] [--cp-py FILE]
                               wire, gateway wireguard-go, control plane
  wire [--kernel] | gateway [--no-static] | gateway-stop | cp-start [--cp-py FILE]
  client NAME SLOT             a keyed wireguard-go client, link down;
                               prints IF_NAME ADDR_NAME PORT_NAME PUB_NAME
  client-key NAME [--key FILE] [--port N]   new (or given) key, new session
  client-restart NAME | client-stop NAME
  wg gw|cl NAME                a bare wireguard-go device; prints IF_NAME
  cp-add --client NAME | --key PUB --allowed-ips CIDRS
  cp METHOD PATH [JSON] | cp-requests [PUB]   control-plane admin API
  nginx-start [--port N] | nginx-add --keys FILE | --key PUB [--net CIDR]
  app-start [--wgjit BIN] [--lcores MAP] [--huge] [--no-ping] [--vdev V]...
            [--steer]
            [S.KEY=V...]
  app-stop [--timeout S]       SIGTERM; prints wgjit's exit status
  uplink-lost                  frames the uplink lost before wgjit read them
  conf FILE [S.KEY=V...]       the topology's wgjit.conf, with changes
  argv [--wgjit BIN | --eal] [--file-prefix P] [--lcores MAP] [--huge]
       [--vdev V]... [--conf FILE]   wgjit's command line, one per line
  env | pid NAME | check | down [--keep]
"""

import argparse
import base64
import contextlib
import ctypes
import functools
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "app"))
import wgjit_tel  # noqa: E402

CP_PY = REPO / "devtools" / "wgjit-cp.py"
PYTHON = "/usr/bin/python3"


def wire_addr(host):
    """Address HOST on the wire between the namespaces (a /24)."""
    return f"10.77.0.{host}"


# The gateway's address on the wire (on the TAP, or on VG for a kernel
# wire) and the client's, on VC.
GW_ADDR, CL_ADDR, WIRE_PLEN = wire_addr(1), wire_addr(2), 24
# The tunnel: the gateway device's address; clients get tun_addr(slot).
TUN_GW, TUN_PLEN = "10.99.0.1", 16
GW_PORT = 51820
STATIC_IPS = "10.97.0.9/32"     # the one peer the operator sets by hand
# Client listen ports: fixed, above Linux's ephemeral range (32768-60999),
# so that no socket of another interface in the namespace can hold one.
CLIENT_PORT0 = 62000
SYSCTLS = ("net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
TOOLS = ("ip", "wg", "wireguard-go", "nft", "ethtool")
IFNAMSIZ = 15
RESERVED = ("gw", "static")     # the topology's own key files
# The af_packet uplink's ring, in frames. DPDK's default (512) holds 3.5 ms
# of a 145k/s flood: on two cores that the flood's sender and the clients
# share with the worker, a time slice of someone else's overflows it, and
# the frames it drops are a client's as often as the flood's (DPDK 22.11
# counts none of them). 4096 frames (8 MiB) hold 28 ms, as a NIC's ring
# of 4096 descriptors would.
AF_PACKET_FRAMES = 4096
UAPI_DIR = Path("/var/run/wireguard")
DPDK_DIR = Path("/var/run/dpdk")
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def tun_addr(slot):
    """The tunnel address of client slot SLOT (0 to 63,749)."""
    return f"10.99.{1 + slot // 250}.{1 + slot % 250}"


def missing():
    """Why the topology cannot be built here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in TOOLS:
        if not shutil.which(tool):
            return f"{tool} not installed"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    return None


def wgjit_binary():
    env = os.environ.get("WGJIT")
    if env:
        return Path(env)
    for d in ("build", "build-dts"):
        p = REPO / d / "app" / "wgjit" / "wgjit"
        if p.is_file() and os.access(p, os.X_OK):
            return p
    raise RuntimeError("wgjit binary not found: build it or set WGJIT=")


def wait_for(pred, timeout, step=0.05, what="condition"):
    """Poll pred() until it returns a true value; return it or raise."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def run(*cmd, check=True, input=None, timeout=30):
    r = subprocess.run([str(c) for c in cmd], input=input, capture_output=True,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {r.returncode}: "
                           f"{r.stderr.strip()}")
    return r


def genkey():
    priv = run("wg", "genkey").stdout.strip()
    return priv, pubkey(priv)


def pubkey(priv):
    return run("wg", "pubkey", input=priv + "\n").stdout.strip()


def key_url(pub_b64):
    return base64.urlsafe_b64encode(base64.b64decode(pub_b64)).decode().rstrip("=")


def _write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


@contextlib.contextmanager
def in_netns(name):
    """Run the block (this thread only) inside network namespace name."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(target)
        os.close(own)


# --- wgjit's configuration and command line ----------------------------------

def merge_conf(*confs):
    """{section: {key: value}} dicts merged, later ones winning."""
    out = {}
    for c in confs:
        for s, kv in (c or {}).items():
            out.setdefault(s, {}).update(kv)
    return out


def parse_conf_args(items):
    """["section.key=value", ...] -> {section: {key: value}}."""
    conf = {}
    for item in items:
        key, eq, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not (eq and dot and section and name):
            raise ValueError(f"{item!r}: not SECTION.KEY=VALUE")
        conf.setdefault(section, {})[name] = value
    return conf


def write_conf(path, conf):
    """Write {section: {key: value}} as a wgjit.conf (INI)."""
    lines = []
    for s, kv in conf.items():
        lines.append(f"[{s}]")
        lines += [f"{k} = {v}" for k, v in kv.items()]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def eal_args(prefix, vdevs, lcores=None, huge=False, mem_mb=512, log=True):
    """EAL options of wgjit (and of testpmd beside it in a benchmark):
    lcores 0 (control) and 1 (one worker) unless LCORES, an --lcores map;
    no PCI; MEM_MB of plain memory, or hugepages without runtime files
    (HUGE); the app's info messages (LOG); one --vdev per VDEVS entry."""
    a = [f"--lcores={lcores}"] if lcores else ["-l", "0,1"]
    a += ["--no-pci"]
    a += ["--in-memory"] if huge else ["--no-huge", "-m", str(mem_mb)]
    a += ["--file-prefix", prefix]
    if log:
        a.append("--log-level=user1,info")
    for v in vdevs:
        a += ["--vdev", v]
    return a


def wgjit_argv(binary, prefix, vdevs, app_args, **eal):
    return [str(binary)] + eal_args(prefix, vdevs, **eal) + ["--"] + list(app_args)


# --- processes ---------------------------------------------------------------

def _proc_stat(pid):
    """(state, start time) of process pid, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[19])


def _kept(argv, log, rc_file):
    """Start argv under a forked keeper that waits for it and writes its
    exit status to rc_file: the status outlives the command-line call that
    started it. Returns argv's pid."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):        # hold none of the caller's pipes
                os.dup2(null, fd)
            with open(log, "ab") as f:
                p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f,
                                     stderr=subprocess.STDOUT)
            os.write(w, b"%d\n" % p.pid)
            os.close(w)
            rc = p.wait()
            Path(f"{rc_file}.tmp").write_text(f"{rc}\n")
            os.replace(f"{rc_file}.tmp", rc_file)
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        line = f.readline().strip()
    if not line:
        raise RuntimeError(f"could not start {argv}")
    return int(line)


class Proc:
    """A long-lived process of the topology (wireguard-go, the control
    plane, wgjit), recorded as proc.NAME.json in the state directory so
    that a later call finds it; with its start time, so that a pid reused
    by another process is never signalled."""

    def __init__(self, topo, name, popen=None, pid=None, start=None, rc_file=None):
        self.topo, self.name, self.popen = topo, name, popen
        self.pid = popen.pid if popen else pid
        if start is None:
            st = _proc_stat(self.pid)
            start = st[1] if st else None
        self.start, self.rc_file = start, rc_file

    @property
    def path(self):
        return self.topo.tmp / f"proc.{self.name}.json"

    def record(self):
        self.path.write_text(json.dumps({
            "pid": self.pid, "start": self.start,
            "rc_file": str(self.rc_file) if self.rc_file else None}))

    @classmethod
    def load(cls, topo, path):
        d = json.loads(path.read_text())
        return cls(topo, path.name[len("proc."):-len(".json")], pid=d["pid"],
                   start=d["start"], rc_file=d["rc_file"] and Path(d["rc_file"]))

    def running(self):
        if self.popen:
            return self.popen.poll() is None
        if self.rc_file and self.rc_file.exists():
            return False
        st = _proc_stat(self.pid)
        return st is not None and st[1] == self.start and st[0] != "Z"

    def returncode(self):
        if self.popen:
            return self.popen.poll()
        if self.rc_file:
            with contextlib.suppress(OSError, ValueError):
                return int(self.rc_file.read_text())
        return None

    def send_signal(self, sig):
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def wait(self, timeout):
        if self.popen:
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                raise TimeoutError(f"{self.name} still runs after {timeout}s") from None
        wait_for(lambda: not self.running(), timeout, step=0.02,
                 what=f"{self.name} to exit")
        if self.rc_file:   # the keeper writes it once it has reaped the process
            with contextlib.suppress(TimeoutError):
                wait_for(self.rc_file.exists, 5, step=0.02)
        return self.returncode()

    def stop(self, sig=signal.SIGTERM, timeout=5, kill=True):
        """Signal, wait; SIGKILL after timeout (or raise if not kill)."""
        self.send_signal(sig)
        try:
            return self.wait(timeout)
        except TimeoutError:
            if not kill:
                raise
        self.send_signal(signal.SIGKILL)
        return self.wait(5)


# --- the parts ---------------------------------------------------------------

class Client:
    """One wireguard-go interface PREFIX+NAME in the client namespace:
    tunnel address tun_addr(slot)/32, listen port CLIENT_PORT0 + slot, the
    gateway as its one peer once keyed (set_key)."""

    def __init__(self, topo, name, slot, start=True):
        if name in RESERVED or not re.fullmatch(r"\w+", name):
            raise ValueError(f"client name {name!r}")
        self.topo, self.name, self.slot = topo, name, slot
        self.ifname = topo.ifname(name)
        self.addr = tun_addr(slot)
        self.port = CLIENT_PORT0 + slot
        self.priv = self.pub = None
        self.proc = None
        if start:
            self.proc = topo.start_wg(topo.cl, self.ifname)
            run("ip", "-n", topo.cl, "addr", "add", self.addr + "/32", "dev", self.ifname)
            self.record()

    @classmethod
    def load(cls, topo, name):
        try:
            d = json.loads((topo.tmp / f"client.{name}.json").read_text())
        except FileNotFoundError:
            raise RuntimeError(f"no client {name}") from None
        c = cls(topo, name, d["slot"], start=False)
        c.port, c.pub = d["port"], d["pub"]
        with contextlib.suppress(FileNotFoundError):
            c.priv = (topo.tmp / f"{name}.key").read_text().strip()
        c.proc = topo.procs.get(f"wg.{c.ifname}")
        return c

    def record(self):
        (self.topo.tmp / f"client.{self.name}.json").write_text(json.dumps(
            {"slot": self.slot, "port": self.port, "pub": self.pub}))

    def env(self):
        """Shell variables of this client: IF_NAME, ADDR_NAME, PORT_NAME, PUB_NAME."""
        return {f"IF_{self.name}": self.ifname, f"ADDR_{self.name}": self.addr,
                f"PORT_{self.name}": self.port, f"PUB_{self.name}": self.pub or ""}

    def set_key(self, priv, pub, port=None):
        """(Re)key the interface and point it at the gateway; the next
        packet makes wireguard-go send a handshake initiation."""
        self.priv, self.pub = priv, pub
        if port is not None:
            self.port = port
        t = self.topo
        kf = t.tmp / f"{self.name}.key"
        _write_secret(kf, priv + "\n")
        (t.tmp / f"{self.name}.pub").write_text(pub + "\n")
        # A new key: drop the old peer so no old session survives.
        t.cl_exec("wg", "set", self.ifname, "peer", t.gw_pub, "remove")
        t.cl_exec("wg", "set", self.ifname, "private-key", kf,
                  "listen-port", self.port, "peer", t.gw_pub,
                  "endpoint", f"{GW_ADDR}:{GW_PORT}", "allowed-ips", TUN_GW + "/32")
        self.record()

    def restart(self):
        """What a restarted client does: same key, no session; its next
        packet starts a handshake."""
        self.set_key(self.priv, self.pub)

    def stop(self):
        """Stop its wireguard-go (the interface goes with it)."""
        self.proc.stop()
        self.topo.wait_wg_gone(self.ifname)

    def up(self):
        run("ip", "-n", self.topo.cl, "link", "set", self.ifname, "up")

    def down(self):
        run("ip", "-n", self.topo.cl, "link", "set", self.ifname, "down")

    def ping(self, timeout=3, count=1, interval=None):
        """True if the gateway answers through the tunnel."""
        cmd = ["ip", "netns", "exec", self.topo.cl, "ping", "-n", "-q",
               "-c", str(count), "-W", str(timeout), "-I", self.ifname]
        if interval:
            cmd += ["-i", str(interval)]
        r = subprocess.run(cmd + [TUN_GW], capture_output=True, text=True,
                           timeout=timeout * count + 10)
        return r.returncode == 0

    def log_tail(self, n=20):
        """The last n lines of its wireguard-go's log."""
        log = self.topo.tmp / f"{self.ifname}.log"
        return "\n".join(log.read_text().splitlines()[-n:]) if log.exists() else ""

    def timed_ping(self, timeout=3):
        """Seconds to the first answered ping (one packet), or None."""
        t0 = time.monotonic()
        ok = self.ping(timeout=timeout)
        return time.monotonic() - t0 if ok else None

    def register(self, pub=None):
        self.topo.cp_add(pub or self.pub, [self.addr + "/32"])


class App:
    """One wgjit process in the gateway namespace on the uplink VG, with
    the topology's configuration (Topology.base_conf) over BASE, the
    defaults of a suite, and the overrides of a case over both."""

    BASE = {}

    def __init__(self, topo, overrides=None, lcores=None, huge=False, binary=None,
                 vdevs=None, steer=None):
        self.topo = topo
        self.proc = None
        self.log = topo.tmp / "app.log"
        self.lcores, self.huge, self.binary = lcores, huge, binary
        # Steer mode: the kernel keeps the veth and its address, wgjit
        # makes the net_af_xdp port itself (docs/steer.md).
        self.steer = topo.steer if steer is None else steer
        mode = {}
        if self.steer:
            build = Path(self.binary or wgjit_binary()).resolve().parents[2]
            mode = {"uplink": {"mode": "steer", "interface": topo.vg, "xdp_prog":
                               str(build / "lib" / "xdp" / "wgjit_steer.bpf.o")}}
        self.conf = merge_conf(self.BASE, topo.base_conf(), mode, overrides)
        self.conf_path = topo.tmp / "wgjit.conf"
        # The uplink first: it is port 0.
        self.vdevs = [] if self.steer else vdevs or [topo.uplink_vdev()]

    def write_conf(self, path=None):
        return write_conf(path or self.conf_path, self.conf)

    def argv(self):
        t = self.topo
        return ["ip", "netns", "exec", t.gw] + wgjit_argv(
            self.binary or wgjit_binary(), t.prefix, self.vdevs,
            ["--config", str(self.conf_path)], lcores=self.lcores, huge=self.huge)

    def start(self):
        """Start wgjit; once its TAP and telemetry are there, put the
        gateway address on the TAP."""
        t = self.topo
        self.write_conf()
        self.proc = t.spawn("app", self.argv(), self.log, keep_rc=True)
        wait_for(lambda: self._alive() and t.link_exists(t.gw, t.tap), 20, what="the TAP")
        wait_for(lambda: self._alive() and self._stats_or_none() is not None,
                 20, what="telemetry")
        if not self.steer:
            # Bump: the kernel's side of the wire is the TAP.
            run("ip", "-n", t.gw, "addr", "add", f"{GW_ADDR}/{WIRE_PLEN}", "dev", t.tap)
        run("ip", "-n", t.gw, "link", "set", t.tap, "up")
        return self

    def _alive(self):
        if not self.proc.running():
            raise RuntimeError(f"wgjit exited with {self.proc.returncode()}:\n"
                               + self.tail())
        return True

    def tail(self, n=30):
        try:
            return "\n".join(self.log.read_text().splitlines()[-n:])
        except OSError:
            return ""

    def _stats_or_none(self):
        try:
            _, reply = wgjit_tel.query(self.topo.prefix, "/wgjit/stats", 0)
        except OSError:
            return None
        return reply.get("/wgjit/stats")

    def stats(self):
        s = self._stats_or_none()
        if s is None:
            raise RuntimeError("no /wgjit/stats:\n" + self.tail())
        return s

    def stat(self, name):
        return self.stats()[name]

    def uplink_lost(self):
        """Frames the uplink (port 0) lost before wgjit read them, since it
        started: the port's own counters and, on an af_packet uplink, the
        frames the veth took in that wgjit never read (DPDK 22.11's
        af_packet leaves its ring's drops out of imissed; 23.11 counts
        them, and then they are counted twice here)."""
        _, r = wgjit_tel.query(self.topo.prefix, "/ethdev/stats,0", 0)
        st = r["/ethdev/stats"]
        lost = st["imissed"] + st["ierrors"] + st["rx_nombuf"]
        if self.vdevs and self.vdevs[0].startswith("net_af_packet"):
            link = json.loads(run("ip", "-n", self.topo.gw, "-s", "-j", "link",
                                  "show", self.topo.vg).stdout)
            lost += max(0, link[0]["stats64"]["rx"]["packets"] - st["ipackets"])
        return lost

    def wait_stat(self, name, pred, timeout=10):
        return wait_for(lambda: pred(self.stat(name)), timeout, what=f"stats {name}")

    def rss_kb(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self, sig=signal.SIGTERM, timeout=10, kill=True):
        """Stop wgjit; its exit status (-N: killed by signal N)."""
        if self.proc is None:
            return None
        rc = self.proc.stop(sig, timeout, kill)
        self.topo.forget(self.proc)
        self.proc = None
        return rc


class Topology:
    """The namespaces, the wire and the gateway of one run, named from
    prefix, recorded in the state directory (a new temporary one if None).
    detach: started by a command-line call that exits, wgjit runs under a
    keeper that records its exit status."""

    App = App

    def __init__(self, prefix, state=None, detach=False):
        self.prefix = p = prefix
        self.gw, self.cl = p + "g", p + "c"
        self.vg, self.vc, self.tap, self.gwif = p + "u", p + "v", p + "t", p + "G"
        self.ifname("G")
        if state is None:
            self.tmp = Path(tempfile.mkdtemp(prefix=p + "."))
        else:
            self.tmp = Path(state).resolve()
            self.tmp.mkdir(parents=True, exist_ok=True)
        os.chmod(self.tmp, 0o700)
        self.detach = detach
        self.parts = {"wire": None, "gateway": False, "static": True, "cp": False}
        saved = self.tmp / "topo.json"
        if saved.exists():
            d = json.loads(saved.read_text())
            if d["prefix"] != prefix:
                raise RuntimeError(f"{self.tmp} holds topology {d['prefix']}, not {prefix}")
            self.parts.update(d["parts"])
        self.procs = {}
        for f in sorted(self.tmp.glob("proc.*.json")):
            proc = Proc.load(self, f)
            self.procs[proc.name] = proc
        self.clients = {}
        # The uplink mode of start_app() by default; steer needs the
        # kernel wire (wire_up(kernel=True)): the veth keeps GW_ADDR.
        self.steer = False
        self.app = None
        if "app" in self.procs:
            self.app = self.App(self)
            self.app.proc = self.procs["app"]
        self.gw_pub = self._key("gw")
        self.static_pub = self._key("static")
        self._save()

    @classmethod
    def open(cls, state, detach=True):
        try:
            d = json.loads((Path(state) / "topo.json").read_text())
        except FileNotFoundError:
            raise RuntimeError(f"no topology in {state} (topo.py init)") from None
        return cls(d["prefix"], state, detach)

    def _save(self):
        f = self.tmp / "topo.json"
        f.with_suffix(".tmp").write_text(json.dumps({"prefix": self.prefix,
                                                     "parts": self.parts}))
        f.with_suffix(".tmp").replace(f)

    def _key(self, name):
        """NAME.key and NAME.pub in the state directory, made once."""
        kf, pf = self.tmp / f"{name}.key", self.tmp / f"{name}.pub"
        if not pf.exists():
            priv, pub = genkey()
            _write_secret(kf, priv + "\n")
            pf.write_text(pub + "\n")
        return pf.read_text().strip()

    def ifname(self, name):
        n = self.prefix + name
        if len(n) > IFNAMSIZ:
            raise ValueError(f"interface name {n!r} longer than {IFNAMSIZ}")
        return n

    # --- processes ---------------------------------------------------------
    def spawn(self, name, argv, log, keep_rc=False):
        """Start argv (output to log) and record it as NAME."""
        if self.detach and keep_rc:
            rc_file = self.tmp / f"{name}.rc"
            rc_file.unlink(missing_ok=True)
            pid = _kept(argv, log, rc_file)
            proc = Proc(self, name, pid=pid, rc_file=rc_file)
        else:
            with open(log, "ab") as f:
                proc = Proc(self, name, popen=subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT))
        proc.record()
        self.procs[name] = proc
        return proc

    def forget(self, proc):
        self.procs.pop(proc.name, None)
        proc.path.unlink(missing_ok=True)

    def uplink_vdev(self, qpairs=1):
        """The --vdev of wgjit's af_packet uplink on VG."""
        return (f"net_af_packet0,iface={self.vg},qpairs={qpairs},"
                f"framecnt={AF_PACKET_FRAMES}")

    def start_wg(self, ns, ifname):
        """wireguard-go for ifname in namespace ns, up to its UAPI socket."""
        sock = UAPI_DIR / f"{ifname}.sock"
        if sock.exists():
            raise RuntimeError(f"{sock} already exists")
        # A client logs its handshakes (sent, cookie taken, answered): a
        # case that fails on one can say which leg went missing.
        env = ["env", "LOG_LEVEL=verbose"] if ns == self.cl else []
        proc = self.spawn(f"wg.{ifname}", ["ip", "netns", "exec", ns, *env,
                                            "wireguard-go", "-f", ifname],
                          self.tmp / f"{ifname}.log")

        def ready():
            if not proc.running():
                raise RuntimeError(f"wireguard-go {ifname} exited: "
                                   + (self.tmp / f"{ifname}.log").read_text()[-500:])
            return sock.is_socket()
        wait_for(ready, 10, what=f"wireguard-go {ifname}")
        return proc

    def wait_wg_gone(self, ifname, ns=None):
        sock = UAPI_DIR / f"{ifname}.sock"
        wait_for(lambda: not sock.exists() and not self.link_exists(ns or self.cl, ifname),
                 10, what=f"wireguard-go {ifname} gone")

    # --- set-up ------------------------------------------------------------
    def ns_up(self, ns):
        if Path(f"/var/run/netns/{ns}").exists():
            return
        run("ip", "netns", "add", ns)
        for s in SYSCTLS:
            run("ip", "netns", "exec", ns, "sysctl", "-qw", s)
        run("ip", "-n", ns, "link", "set", "lo", "up")

    def wire_up(self, kernel=False):
        """The namespaces and the veth between them (see the module text)."""
        for ns in (self.gw, self.cl):
            self.ns_up(ns)
        run("ip", "link", "add", self.vg, "netns", self.gw, "type", "veth",
            "peer", "name", self.vc, "netns", self.cl)
        run("ip", "-n", self.gw, "link", "set", self.vg, "up")
        run("ip", "-n", self.cl, "addr", "add", f"{CL_ADDR}/{WIRE_PLEN}", "dev", self.vc)
        run("ip", "-n", self.cl, "link", "set", self.vc, "up")
        run("ip", "netns", "exec", self.cl, "ethtool", "-K", self.vc, "tx", "off")
        run("ip", "netns", "exec", self.gw, "ethtool", "-K", self.vg, "tx", "off")
        if kernel:
            run("ip", "-n", self.gw, "addr", "add", f"{GW_ADDR}/{WIRE_PLEN}", "dev", self.vg)
        else:
            run("ip", "netns", "exec", self.gw, "nft", "-f", "-", input=(
                f"table netdev {self.prefix} {{\n chain in {{\n  type filter hook ingress "
                f"device \"{self.vg}\" priority 0; policy drop;\n }}\n}}\n"))
        self.parts["wire"] = "kernel" if kernel else "wgjit"
        self._save()

    def start_gateway_wg(self, static=None):
        """The operator's part: key, port, address, one static peer."""
        if static is None:
            static = self.parts["static"]
        self.ns_up(self.gw)
        self.start_wg(self.gw, self.gwif)
        peer = ["peer", self.static_pub, "allowed-ips", STATIC_IPS] if static else []
        self.gw_exec("wg", "set", self.gwif, "private-key", self.tmp / "gw.key",
                     "listen-port", GW_PORT, *peer)
        run("ip", "-n", self.gw, "addr", "add", f"{TUN_GW}/{TUN_PLEN}", "dev", self.gwif)
        run("ip", "-n", self.gw, "link", "set", self.gwif, "up")
        self.parts.update(gateway=True, static=static)
        self._save()

    def stop_gateway_wg(self):
        self.procs[f"wg.{self.gwif}"].stop(timeout=10)
        self.wait_wg_gone(self.gwif, self.gw)
        self.parts["gateway"] = False
        self._save()

    def start_cp(self, cp_py=CP_PY):
        port_file = self.tmp / "cp.port"
        self.ns_up(self.gw)
        self.spawn("cp", ["ip", "netns", "exec", self.gw, PYTHON, str(cp_py), "serve",
                          "--db", str(self.tmp / "cp.db"), "--listen", "127.0.0.1:0",
                          "--port-file", str(port_file)], self.tmp / "cp.log")
        wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 10,
                 what="control plane")
        self.parts["cp"] = True
        self._save()

    # --- a fast control plane: nginx, one static JSON file per key ------
    NGINX_CONF = """daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx.error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx.tmp;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /v1/peers/ {{
            default_type application/json;
            try_files $uri =404;
        }}
    }}
}}
"""

    def start_nginx_cp(self, port=18080):
        """nginx in the gateway namespace serving {root}/v1/peers/{key}:
        the fast control plane of load and latency figures (the reference
        one tops out near 600 requests/s). nginx_add() writes a peer."""
        if not shutil.which("nginx"):
            raise RuntimeError("nginx not installed (Debian package nginx-light)")
        root = self.tmp / "nginx-root"
        (root / "v1" / "peers").mkdir(parents=True, exist_ok=True)
        (self.tmp / "nginx.tmp").mkdir(exist_ok=True)
        conf = self.tmp / "nginx.conf"
        conf.write_text(self.NGINX_CONF.format(tmp=self.tmp, port=port, root=root))
        self.ns_up(self.gw)
        self.spawn("nginx", ["ip", "netns", "exec", self.gw, "nginx", "-c", str(conf),
                             "-e", str(self.tmp / "nginx.error.log")],
                   self.tmp / "nginx.log")

        def up():
            with in_netns(self.gw):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return True
                except OSError:
                    return False
        wait_for(up, 10, what="nginx")
        self.nginx_port = port
        return f"http://127.0.0.1:{port}"

    def nginx_add(self, pub, allowed_ips, keepalive=None):
        """The answer the control plane gives for pub (control-plane-api.md)."""
        doc = {"public_key": pub, "allowed_ips": allowed_ips}
        if keepalive is not None:
            doc["persistent_keepalive"] = keepalive
        path = self.tmp / "nginx-root" / "v1" / "peers" / key_url(pub)
        path.write_text(json.dumps(doc))

    def stop_nginx_cp(self):
        proc = self.procs.get("nginx")
        if proc is not None:
            proc.stop()
            self.forget(proc)

    def setup(self, kernel=False, static=True, cp=True, cp_py=CP_PY):
        """The whole topology (see the module text)."""
        self.wire_up(kernel)
        self.start_gateway_wg(static)
        if cp:
            self.start_cp(cp_py)
        return self

    @property
    def cp_port(self):
        return int((self.tmp / "cp.port").read_text())

    @property
    def cp_url(self):
        return f"http://127.0.0.1:{self.cp_port}"

    def _mac(self, ns, dev):
        return json.loads(run("ip", "-j", "-n", ns, "link", "show", dev).stdout)[0]["address"]

    @functools.cached_property
    def vg_mac(self):
        return self._mac(self.gw, self.vg)

    @functools.cached_property
    def vc_mac(self):
        return self._mac(self.cl, self.vc)

    def link_exists(self, ns, dev):
        return run("ip", "-n", ns, "link", "show", dev, check=False).returncode == 0

    def gw_exec(self, *cmd, **kw):
        return run("ip", "netns", "exec", self.gw, *cmd, **kw)

    def cl_exec(self, *cmd, **kw):
        return run("ip", "netns", "exec", self.cl, *cmd, **kw)

    # --- control plane admin -----------------------------------------------
    def cp(self, method, path, body=None, timeout=30):
        with in_netns(self.gw):
            s = socket.create_connection(("127.0.0.1", self.cp_port), timeout=timeout)
        conn = http.client.HTTPConnection("127.0.0.1", self.cp_port, timeout=timeout)
        conn.sock = s
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        if r.status >= 400:
            raise RuntimeError(f"cp {method} {path}: {r.status} {raw!r}")
        return json.loads(raw) if raw.strip() else None

    def cp_add(self, pub, allowed_ips):
        self.cp("POST", "/admin/peers", {"public_key": pub, "allowed_ips": allowed_ips})

    def cp_requests(self, pub=None):
        st = self.cp("GET", "/admin/stats")
        return st["requests"] if pub is None else st["per_key"].get(key_url(pub), 0)

    def fault(self, mode, delay=0):
        self.cp("POST", "/admin/fault", {"mode": mode, "delay": delay})

    # --- gateway device ----------------------------------------------------
    def gw_peers(self):
        out = self.gw_exec("wg", "show", self.gwif, "peers").stdout.split()
        return set(out)

    def gw_endpoints(self):
        out = self.gw_exec("wg", "show", self.gwif, "endpoints").stdout
        return dict(line.split("\t") for line in out.splitlines() if "\t" in line)

    # --- clients and app ---------------------------------------------------
    def client(self, name, slot):
        if name not in self.clients:
            self.clients[name] = Client(self, name, slot)
        return self.clients[name]

    def client_of(self, name):
        """A client made earlier (by this or another call)."""
        if name not in self.clients:
            self.clients[name] = Client.load(self, name)
        return self.clients[name]

    def clients_parallel(self, names_slots):
        """Start many wireguard-go clients at once (they start in ~100 ms
        each, mostly waiting)."""
        out = [None] * len(names_slots)

        def one(i):
            out[i] = self.client(*names_slots[i])
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(names_slots))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if any(c is None for c in out):
            raise RuntimeError("a client did not start")
        return out

    def base_conf(self):
        """What wgjit.conf says about this topology: the gateway device
        (or, without one, the gateway's key and port), the control plane,
        the cache, the TAP."""
        conf = {}
        if self.parts["gateway"]:
            conf["wireguard"] = {"interface": self.gwif, "backend": "uapi"}
        else:
            conf["wireguard"] = {"listen_port": str(GW_PORT),
                                 "private_key_file": str(self.tmp / "gw.key")}
        conf["tap"] = {"name": self.tap}
        if self.parts["cp"]:
            conf["control_plane"] = {"url": self.cp_url}
            conf["cache"] = {"path": str(self.tmp / "cache.sqlite")}
        return conf

    def start_app(self, overrides=None, ping=True, **kw):
        """(Re)start wgjit; then plain traffic first: the client pings the
        gateway through it (ARP and ICMP), unless not ping."""
        self.stop_app()
        self.app = self.App(self, overrides, **kw).start()
        if ping:
            run("ip", "netns", "exec", self.cl, "ping", "-c", "1", "-W", "3", GW_ADDR)
        return self.app

    def stop_app(self, wait_tap=True, **kw):
        rc = None
        if self.app is not None:
            rc = self.app.stop(**kw)
            self.app = None
            if wait_tap:
                wait_for(lambda: not self.link_exists(self.gw, self.tap), 10,
                         what="TAP gone")
        return rc

    # --- tear-down ---------------------------------------------------------
    def close(self, keep=False):
        """Stop every process, remove the namespaces, DPDK runtime dirs
        (PREFIX and PREFIX_*), UAPI sockets and (unless keep) the state."""
        with contextlib.suppress(Exception):
            self.stop_app(wait_tap=False)
        procs = list(self.procs.values())
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(5)
            except TimeoutError:
                p.send_signal(signal.SIGKILL)
        for ns in (self.gw, self.cl):
            pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            if Path(f"/var/run/netns/{ns}").exists():
                run("ip", "netns", "del", ns, check=False)
        for d in [DPDK_DIR / self.prefix, *DPDK_DIR.glob(self.prefix + "_*")]:
            shutil.rmtree(d, ignore_errors=True)
        for name in self.procs:
            if name.startswith("wg."):
                (UAPI_DIR / f"{name[3:]}.sock").unlink(missing_ok=True)
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


# --- command line --------------------------------------------------------------

def _print_env(env):
    for k, v in env.items():
        print(f"export {k}={shlex.quote(str(v))}")


def _topo_env(t):
    env = {"P": t.prefix, "GW": t.gw, "CL": t.cl, "VG": t.vg, "VC": t.vc,
           "TAP": t.tap, "WGG": t.gwif, "GW_ADDR": GW_ADDR, "CL_ADDR": CL_ADDR,
           "WIRE_PLEN": WIRE_PLEN, "TUN_GW": TUN_GW, "GW_PORT": GW_PORT,
           "GW_PUB": t.gw_pub, "GW_KEY": t.tmp / "gw.key", "STATIC": t.static_pub,
           "STATIC_KEY": t.tmp / "static.key", "APP_LOG": t.tmp / "app.log"}
    if t.parts["cp"]:
        env["CP_URL"] = t.cp_url
    return env


def _cmd_up(a):
    prefix = getattr(a, "prefix", None)
    if prefix and not (Path(a.state) / "topo.json").exists():
        t = Topology(prefix, a.state, detach=True)
    else:
        t = Topology.open(a.state)
    if a.cmd == "up":
        t.setup(kernel=a.kernel, static=not a.no_static, cp=not a.no_cp,
                cp_py=a.cp_py)
    elif a.cmd == "wire":
        t.wire_up(kernel=a.kernel)
    elif a.cmd == "gateway":
        t.start_gateway_wg(static=not a.no_static)
    elif a.cmd == "gateway-stop":
        t.stop_gateway_wg()
    elif a.cmd == "cp-start":
        t.start_cp(a.cp_py)


def _cmd_client(a):
    t = Topology.open(a.state)
    if a.cmd == "client":
        c = t.client(a.name, a.slot)
        c.set_key(*genkey())
    else:
        c = t.client_of(a.name)
        if a.cmd == "client-key":
            priv = Path(a.key).read_text().strip() if a.key else genkey()[0]
            c.set_key(priv, pubkey(priv), a.port)
        elif a.cmd == "client-restart":
            c.restart()
        else:
            c.stop()
            return
    _print_env(c.env())


def _cmd_wg(a):
    t = Topology.open(a.state)
    ifname = t.ifname(a.name)
    t.start_wg(t.gw if a.ns == "gw" else t.cl, ifname)
    _print_env({f"IF_{a.name}": ifname})


def _cmd_cp(a):
    t = Topology.open(a.state)
    if a.cmd == "cp-add":
        if a.client:
            c = t.client_of(a.client)
            c.register()
        elif a.key and a.allowed_ips is not None:
            t.cp_add(a.key, [x for x in a.allowed_ips.split(",") if x])
        else:
            raise ValueError("cp-add: --client NAME, or --key PUB --allowed-ips CIDRS")
    elif a.cmd == "cp-requests":
        print(t.cp_requests(a.pub))
    else:
        r = t.cp(a.method, a.path, json.loads(a.body) if a.body else None)
        if r is not None:
            print(json.dumps(r, sort_keys=True))


def _cmd_nginx(a):
    t = Topology.open(a.state)
    if a.cmd == "nginx-start":
        _print_env({"NGINX_URL": t.start_nginx_cp(a.port)})
        return 0
    # nginx-add: one answer per key of the file, addresses from --net on.
    import ipaddress
    hosts = iter(ipaddress.ip_network(a.net).hosts())
    keys = Path(a.keys).read_text().split() if a.keys else [a.key]
    for k in keys:
        t.nginx_add(k, [f"{next(hosts)}/32"])
    return 0


def _cmd_app(a):
    t = Topology.open(a.state)
    if a.cmd == "app-start":
        t.start_app(parse_conf_args(a.conf), ping=not a.no_ping, lcores=a.lcores,
                    huge=a.huge, binary=a.wgjit, steer=a.steer,
                    vdevs=[v.format(vg=t.vg) for v in a.vdev] if a.vdev else None)
        return 0
    if t.app is None:
        raise RuntimeError("no wgjit running")
    try:
        rc = t.stop_app(wait_tap=False, timeout=a.timeout, kill=False)
    except TimeoutError:
        print(f"wgjit did not stop within {a.timeout} s of SIGTERM", file=sys.stderr)
        return 1
    print(rc)
    return 0


def _cmd_uplink_lost(a):
    t = Topology.open(a.state)
    if t.app is None:
        raise RuntimeError("no wgjit running")
    print(t.app.uplink_lost())
    return 0


def _cmd_conf(a):
    t = Topology.open(a.state)
    write_conf(a.file, merge_conf(t.base_conf(), parse_conf_args(a.conf)))


def _cmd_argv(a):
    t = Topology.open(a.state)
    prefix = a.file_prefix or t.prefix
    vdevs = a.vdev or [t.uplink_vdev()]
    eal = dict(lcores=a.lcores, huge=a.huge)
    if a.eal:
        out = eal_args(prefix, vdevs, **eal)
    else:
        out = wgjit_argv(a.wgjit or wgjit_binary(), prefix, vdevs,
                         ["--config", a.conf or str(t.tmp / "wgjit.conf")], **eal)
    print("\n".join(out))


def _cmd_misc(a):
    if a.cmd == "init":
        Topology(a.prefix, a.state, detach=True)
        return 0
    if a.cmd == "down":
        if (Path(a.state) / "topo.json").exists():
            Topology.open(a.state).close(keep=a.keep)
        return 0
    t = Topology.open(a.state)
    if a.cmd == "env":
        _print_env(_topo_env(t))
    elif a.cmd == "pid":
        p = t.procs.get(a.name)
        if p is None or not p.running():
            raise RuntimeError(f"no process {a.name} running")
        print(p.pid)
    return 0


def _parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state", default=os.environ.get("TOPO_STATE"),
                        help="the state directory (default: $TOPO_STATE)")
    ap = argparse.ArgumentParser(prog="topo.py", description=__doc__.splitlines()[0],
                                 epilog=__doc__[__doc__.index("Command line"):],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def cmd(name, func, help):
        p = sub.add_parser(name, parents=[common], help=help)
        p.set_defaults(func=func)
        return p

    p = cmd("init", _cmd_misc, "names and keys")
    p.add_argument("--prefix", required=True)
    cmd("env", _cmd_misc, "names and facts as shell assignments")
    cmd("check", None, "exit 77 (skip) if the topology cannot be built here")
    p = cmd("down", _cmd_misc, "stop and remove everything")
    p.add_argument("--keep", action="store_true", help="keep the state directory")
    p = cmd("pid", _cmd_misc, "pid of a recorded process (app, cp, wg.IFNAME)")
    p.add_argument("name")
    p = cmd("up", _cmd_up, "wire, gateway wireguard-go, control plane")
    p.add_argument("--prefix", help="init first, if not done")
    p.add_argument("--kernel", action="store_true", help="the GW kernel owns the wire")
    p.add_argument("--no-static", action="store_true", help="no static peer")
    p.add_argument("--no-cp", action="store_true", help="no control plane")
    p.add_argument("--cp-py", default=CP_PY, help="the control plane to run")
    p = cmd("wire", _cmd_up, "the namespaces and the veth")
    p.add_argument("--kernel", action="store_true")
    p = cmd("gateway", _cmd_up, "the gateway wireguard-go")
    p.add_argument("--no-static", action="store_true")
    cmd("gateway-stop", _cmd_up, "stop the gateway wireguard-go")
    p = cmd("cp-start", _cmd_up, "the reference control plane")
    p.add_argument("--cp-py", default=CP_PY)
    p = cmd("client", _cmd_client, "a keyed wireguard-go client")
    p.add_argument("name")
    p.add_argument("slot", type=int)
    p = cmd("client-key", _cmd_client, "re-key a client")
    p.add_argument("name")
    p.add_argument("--key", help="private key file (default: a new key)")
    p.add_argument("--port", type=int, help="a new listen port")
    for name, what in (("client-restart", "same key, no session"),
                       ("client-stop", "stop its wireguard-go")):
        cmd(name, _cmd_client, what).add_argument("name")
    p = cmd("wg", _cmd_wg, "a bare wireguard-go device")
    p.add_argument("ns", choices=("gw", "cl"))
    p.add_argument("name")
    p = cmd("cp-add", _cmd_cp, "register a peer with the control plane")
    p.add_argument("--client")
    p.add_argument("--key")
    p.add_argument("--allowed-ips")
    p = cmd("cp-requests", _cmd_cp, "API requests the control plane served")
    p.add_argument("pub", nargs="?")
    p = cmd("cp", _cmd_cp, "a control-plane admin request")
    p.add_argument("method")
    p.add_argument("path")
    p.add_argument("body", nargs="?")
    p = cmd("nginx-start", _cmd_nginx, "nginx as a fast control plane; prints NGINX_URL")
    p.add_argument("--port", type=int, default=18080)
    p = cmd("nginx-add", _cmd_nginx, "answers for keys (one per line) or one key")
    p.add_argument("--keys", help="a file of base64 public keys")
    p.add_argument("--key")
    p.add_argument("--net", default="10.96.0.0/12", help="their tunnel addresses")
    p = cmd("app-start", _cmd_app, "(re)start wgjit")
    p.add_argument("--wgjit", help="the binary (default: $WGJIT, then build/)")
    p.add_argument("--lcores", help="an --lcores map instead of -l 0,1")
    p.add_argument("--huge", action="store_true", help="hugepages")
    p.add_argument("--no-ping", action="store_true", help="no first underlay ping")
    p.add_argument("--vdev", action="append",
                   help="instead of the af_packet uplink ({vg}: the gateway veth)")
    p.add_argument("--steer", action="store_true",
                   help="uplink.mode = steer on the gateway veth (needs up --kernel)")
    p.add_argument("conf", nargs="*", help="SECTION.KEY=VALUE")
    p = cmd("app-stop", _cmd_app, "stop wgjit, print its exit status")
    p.add_argument("--timeout", type=float, default=10)
    cmd("uplink-lost", _cmd_uplink_lost,
        "frames the uplink lost before wgjit read them, since it started")
    p = cmd("conf", _cmd_conf, "write the topology's wgjit.conf")
    p.add_argument("file")
    p.add_argument("conf", nargs="*", help="SECTION.KEY=VALUE")
    p = cmd("argv", _cmd_argv, "wgjit's command line (or EAL options)")
    p.add_argument("--wgjit")
    p.add_argument("--eal", action="store_true", help="EAL options only")
    p.add_argument("--file-prefix", help="default: the topology's prefix")
    p.add_argument("--lcores")
    p.add_argument("--huge", action="store_true")
    p.add_argument("--vdev", action="append", help="default: the af_packet uplink")
    p.add_argument("--conf", help="default: wgjit.conf in the state directory")
    return ap


def main(argv=None):
    ap = _parser()
    a = ap.parse_args(argv)
    if a.cmd == "check":
        why = missing()
        if why:
            print(f"SKIP: {why}")
            return 77
        return 0
    if not a.state:
        ap.error("--state DIR (or TOPO_STATE) is needed")
    try:
        return a.func(a) or 0
    except (RuntimeError, TimeoutError, OSError, ValueError,
            subprocess.SubprocessError) as e:
        print(f"topo.py {a.cmd}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
