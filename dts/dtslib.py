# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""The DTS topology: real wgjit, real wireguard-go, real control plane.

    netns CL: wireguard-go clients, veth VC 10.77.0.2/24
    netns GW: VG (af_packet uplink of wgjit) -> wgjit -> TAP 10.77.0.1 ->
              wireguard-go gateway GWIF 10.99.0.1/16 (UAPI backend),
              devtools/wgjit-cp.py on 127.0.0.1, SQLite cache file.

Everything is named with the prefix "wgjd" + pid and removed on close().
The test process itself stays in the root namespace; in_netns() moves the
calling thread into a namespace for a moment (sockets keep theirs), which
is how the admin API, scapy and raw sockets reach inside.
"""

import base64
import contextlib
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "app"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
import wgjit_tel  # noqa: E402

CP_PY = REPO / "devtools" / "wgjit-cp.py"
PYTHON = "/usr/bin/python3"
GW_PORT = 51820
GW_ADDR = "10.77.0.1"
CL_ADDR = "10.77.0.2"
TUN_GW = "10.99.0.1"
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


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
    pub = run("wg", "pubkey", input=priv + "\n").stdout.strip()
    return priv, pub


def key_url(pub_b64):
    return base64.urlsafe_b64encode(base64.b64decode(pub_b64)).decode().rstrip("=")


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


class Client:
    """One wireguard-go interface in the client namespace."""

    def __init__(self, topo, name, slot):
        self.topo = topo
        self.ifname = topo.prefix + name
        self.slot = slot
        self.addr = f"10.99.{1 + slot // 250}.{1 + slot % 250}"
        # Outside the ephemeral range (32768-60999), so that no socket of
        # another interface in the namespace can already hold it.
        self.port = 62000 + slot
        self.priv = self.pub = None
        self.proc = topo.start_wg(topo.cl, self.ifname)
        run("ip", "-n", topo.cl, "addr", "add", self.addr + "/32", "dev", self.ifname)

    def set_key(self, priv, pub, port=None):
        """(Re)key the interface and point it at the gateway; the next
        packet makes wireguard-go send a handshake initiation."""
        self.priv, self.pub = priv, pub
        if port is not None:
            self.port = port
        kf = self.topo.tmp / f"{self.ifname}.key"
        kf.write_text(priv + "\n")
        # A new key: drop the old peer so no old session survives.
        self.topo.cl_exec("wg", "set", self.ifname, "peer", self.topo.gw_pub, "remove")
        self.topo.cl_exec("wg", "set", self.ifname, "private-key", kf,
                          "listen-port", self.port, "peer", self.topo.gw_pub,
                          "endpoint", f"{GW_ADDR}:{GW_PORT}",
                          "allowed-ips", TUN_GW + "/32")

    def restart(self):
        """What a restarted client does: same key, no session; its next
        packet starts a handshake."""
        self.set_key(self.priv, self.pub)

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

    def timed_ping(self, timeout=3):
        """Seconds to the first answered ping (one packet), or None."""
        t0 = time.monotonic()
        ok = self.ping(timeout=timeout)
        return time.monotonic() - t0 if ok else None

    def register(self, pub=None):
        self.topo.cp_add(pub or self.pub, [self.addr + "/32"])


class App:
    """One wgjit process in the gateway namespace."""

    BASE = {
        "wireguard": {"backend": "uapi"},
        "bringup": {"mode": "initiate"},
        "cache": {"min_refetch": "1", "negative_ttl": "1", "positive_ttl": "300"},
        "control_plane": {"timeout_ms": "2000"},
        "ratelimit": {"per_source_rate": "200", "per_source_burst": "100"},
        "evict": {"idle_timeout": "60", "grace": "10", "interval": "1"},
    }

    def __init__(self, topo, overrides=None):
        self.topo = topo
        self.proc = None
        self.log = topo.tmp / "app.log"
        conf = {s: dict(kv) for s, kv in self.BASE.items()}
        conf["wireguard"]["interface"] = topo.gwif
        conf["tap"] = {"name": topo.tap}
        conf["control_plane"]["url"] = f"http://127.0.0.1:{topo.cp_port}"
        conf["cache"]["path"] = str(topo.tmp / "cache.sqlite")
        for s, kv in (overrides or {}).items():
            conf.setdefault(s, {}).update(kv)
        self.conf = conf
        self.conf_path = topo.tmp / "wgjit.conf"

    def write_conf(self, path=None):
        path = path or self.conf_path
        lines = []
        for s, kv in self.conf.items():
            lines.append(f"[{s}]")
            lines += [f"{k} = {v}" for k, v in kv.items()]
        Path(path).write_text("\n".join(lines) + "\n")
        return path

    def argv(self, conf_path):
        t = self.topo
        return ["ip", "netns", "exec", t.gw, str(wgjit_binary()), "-l", "0,1",
                "--no-pci", "--no-huge", "-m", "512", "--file-prefix", t.prefix,
                "--log-level=user1,info", "--vdev", f"net_af_packet0,iface={t.vg}",
                "--", "--config", str(conf_path)]

    def start(self):
        t = self.topo
        self.write_conf()
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(self.argv(self.conf_path), stdout=log,
                                         stderr=subprocess.STDOUT)
        wait_for(lambda: self._alive() and
                 run("ip", "-n", t.gw, "link", "show", t.tap, check=False).returncode == 0,
                 20, what="the TAP")
        wait_for(lambda: self._alive() and self._stats_or_none() is not None,
                 20, what="telemetry")
        run("ip", "-n", t.gw, "addr", "add", GW_ADDR + "/24", "dev", t.tap)
        run("ip", "-n", t.gw, "link", "set", t.tap, "up")
        return self

    def _alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"wgjit exited with {self.proc.returncode}:\n"
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

    def wait_stat(self, name, pred, timeout=10):
        return wait_for(lambda: pred(self.stat(name)), timeout, what=f"stats {name}")

    def rss_kb(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc


class Topology:
    def __init__(self):
        self.prefix = f"wgjd{os.getpid() % 100000}"
        p = self.prefix
        self.gw, self.cl = p + "g", p + "c"
        self.vg, self.vc, self.tap, self.gwif = p + "u", p + "v", p + "t", p + "G"
        self.tmp = Path(tempfile.mkdtemp(prefix=p + "."))
        os.chmod(self.tmp, 0o700)
        self.procs = []
        self.clients = {}
        self.app = None
        self.cp_proc = None
        self.cp_port = None

    # --- set-up -----------------------------------------------------------
    def setup(self):
        for ns in (self.gw, self.cl):
            run("ip", "netns", "add", ns)
            run("ip", "netns", "exec", ns, "sysctl", "-qw",
                "net.ipv6.conf.all.disable_ipv6=1")
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "link", "add", self.vg, "netns", self.gw, "type", "veth",
            "peer", "name", self.vc, "netns", self.cl)
        run("ip", "-n", self.gw, "link", "set", self.vg, "up")
        run("ip", "-n", self.cl, "addr", "add", CL_ADDR + "/24", "dev", self.vc)
        run("ip", "-n", self.cl, "link", "set", self.vc, "up")
        run("ip", "netns", "exec", self.cl, "ethtool", "-K", self.vc, "tx", "off")
        run("ip", "netns", "exec", self.gw, "ethtool", "-K", self.vg, "tx", "off")
        run("ip", "netns", "exec", self.gw, "nft", "-f", "-", input=(
            f"table netdev {self.prefix} {{\n chain in {{\n  type filter hook ingress "
            f"device \"{self.vg}\" priority 0; policy drop;\n }}\n}}\n"))
        self.vg_mac = json.loads(run("ip", "-j", "-n", self.gw, "link", "show",
                                     self.vg).stdout)[0]["address"]
        self.vc_mac = json.loads(run("ip", "-j", "-n", self.cl, "link", "show",
                                     self.vc).stdout)[0]["address"]
        self.start_gateway_wg()
        self.start_cp()
        return self

    def start_wg(self, ns, ifname):
        log = open(self.tmp / f"{ifname}.log", "w")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, "wireguard-go", "-f", ifname],
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        sock = Path(f"/var/run/wireguard/{ifname}.sock")
        wait_for(lambda: sock.is_socket(), 10, what=f"wireguard-go {ifname}")
        return proc

    def start_gateway_wg(self):
        """The operator's part: key, port, address, one static peer."""
        if not hasattr(self, "gw_priv"):
            self.gw_priv, self.gw_pub = genkey()
            self.static_pub = genkey()[1]
            (self.tmp / "gw.key").write_text(self.gw_priv + "\n")
        self.gw_proc = self.start_wg(self.gw, self.gwif)
        self.gw_exec("wg", "set", self.gwif, "private-key", self.tmp / "gw.key",
                     "listen-port", GW_PORT, "peer", self.static_pub,
                     "allowed-ips", "10.97.0.9/32")
        run("ip", "-n", self.gw, "addr", "add", TUN_GW + "/16", "dev", self.gwif)
        run("ip", "-n", self.gw, "link", "set", self.gwif, "up")

    def stop_gateway_wg(self):
        self.gw_proc.terminate()
        self.gw_proc.wait(10)
        sock = Path(f"/var/run/wireguard/{self.gwif}.sock")
        wait_for(lambda: not sock.exists() and run(
            "ip", "-n", self.gw, "link", "show", self.gwif,
            check=False).returncode != 0, 10, what="gateway wireguard-go gone")

    def start_cp(self):
        port_file = self.tmp / "cp.port"
        log = open(self.tmp / "cp.log", "a")
        self.cp_proc = subprocess.Popen(
            ["ip", "netns", "exec", self.gw, PYTHON, str(CP_PY), "serve",
             "--db", str(self.tmp / "cp.db"), "--listen", "127.0.0.1:0",
             "--port-file", str(port_file)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(self.cp_proc)
        wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 10,
                 what="control plane")
        self.cp_port = int(port_file.read_text())

    def gw_exec(self, *cmd, **kw):
        return run("ip", "netns", "exec", self.gw, *cmd, **kw)

    def cl_exec(self, *cmd, **kw):
        return run("ip", "netns", "exec", self.cl, *cmd, **kw)

    # --- control plane admin ---------------------------------------------
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

    # --- gateway device ---------------------------------------------------
    def gw_peers(self):
        out = self.gw_exec("wg", "show", self.gwif, "peers").stdout.split()
        return set(out)

    def gw_endpoints(self):
        out = self.gw_exec("wg", "show", self.gwif, "endpoints").stdout
        return dict(line.split("\t") for line in out.splitlines() if "\t" in line)

    # --- clients and app --------------------------------------------------
    def client(self, name, slot):
        if name not in self.clients:
            self.clients[name] = Client(self, name, slot)
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

    def start_app(self, overrides=None):
        self.stop_app()
        self.app = App(self, overrides).start()
        run("ip", "netns", "exec", self.cl, "ping", "-c", "1", "-W", "3", GW_ADDR)
        return self.app

    def stop_app(self):
        rc = None
        if self.app is not None:
            rc = self.app.stop()
            self.app = None
            wait_for(lambda: run("ip", "-n", self.gw, "link", "show", self.tap,
                                 check=False).returncode != 0, 10, what="TAP gone")
        return rc

    # --- tear-down ---------------------------------------------------------
    def close(self):
        try:
            self.stop_app()
        except Exception:   # noqa: BLE001 - clean up the rest anyway
            pass
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        for ns in (self.gw, self.cl):
            pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
        for c in list(self.clients.values()) + [None]:
            name = c.ifname if c else self.gwif
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"/var/run/wireguard/{name}.sock")
        if not os.environ.get("DTS_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def genkey_fast():
    """(private, public) base64, in-process: for thousands of keys."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives import serialization as ser
    k = X25519PrivateKey.generate()
    priv = k.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
    pub = k.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return base64.b64encode(priv).decode(), base64.b64encode(pub).decode()
