#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
"""wgjit reference control plane (docs/control-plane-api.md).

Serves GET /v1/peers/{key} from a SQLite file, plus admin endpoints for
tests and demos (peer add/delete, request statistics, fault injection).
Python 3 standard library only.

  wgjit-cp.py serve --listen 127.0.0.1:0 --db peers.db [--port-file F] [--token F]
  wgjit-cp.py add --db peers.db --public-key B64 --allowed-ips 10.1.0.2/32,fd00::2/128
              [--preshared-key-file F] [--keepalive N]
  wgjit-cp.py del --db peers.db --public-key B64
  wgjit-cp.py list --db peers.db
"""

import argparse
import base64
import binascii
import hmac
import ipaddress
import json
import os
import socket
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_ALLOWED_IPS = 32
MAX_BODY = 64 * 1024
FAULT_MODES = ("none", "down", "slow", "500", "junk", "big", "wrong_key")
SCHEMA = """CREATE TABLE IF NOT EXISTS peers (
    public_key TEXT PRIMARY KEY,
    allowed_ips TEXT NOT NULL,
    preshared_key TEXT,
    keepalive INTEGER
)"""


class BadInput(ValueError):
    pass


def key_from_b64(text, field="public_key"):
    """Standard base64 key (44 chars) -> canonical text, or BadInput."""
    if not isinstance(text, str) or len(text) != 44 or not text.endswith("="):
        raise BadInput(f"{field}: not a 44-character base64 key")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{field}: not base64") from None
    if len(raw) != 32:
        raise BadInput(f"{field}: not 32 bytes")
    return base64.b64encode(raw).decode()


def key_from_url(text):
    """Unpadded base64url (43 chars) -> standard base64, or BadInput."""
    if len(text) != 43:
        raise BadInput("key: not 43 base64url characters")
    try:
        raw = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        raise BadInput("key: not base64url") from None
    if len(raw) != 32 or base64.urlsafe_b64encode(raw).decode()[:43] != text:
        raise BadInput("key: not a canonical 32-byte key")
    return base64.b64encode(raw).decode()


def key_to_url(b64):
    return base64.urlsafe_b64encode(base64.b64decode(b64)).decode().rstrip("=")


def check_peer(obj):
    """Validate an admin peer document; return the DB row."""
    if not isinstance(obj, dict):
        raise BadInput("peer: not a JSON object")
    pub = key_from_b64(obj.get("public_key"))
    ips = obj.get("allowed_ips", [])
    if not isinstance(ips, list) or len(ips) > MAX_ALLOWED_IPS:
        raise BadInput(f"allowed_ips: not a list of at most {MAX_ALLOWED_IPS}")
    for ip in ips:
        if not isinstance(ip, str):
            raise BadInput("allowed_ips: entries must be strings")
        try:
            ipaddress.ip_network(ip, strict=True)
        except ValueError as e:
            raise BadInput(f"allowed_ips: {e}") from None
    psk = obj.get("preshared_key")
    if psk is not None:
        psk = key_from_b64(psk, "preshared_key")
    ka = obj.get("persistent_keepalive")
    if ka is not None and (type(ka) is not int or not 0 <= ka <= 65535):
        raise BadInput("persistent_keepalive: not an integer 0..65535")
    return (pub, json.dumps(ips), psk, ka)


def open_db(path):
    db = sqlite3.connect(path, timeout=5)
    db.execute(SCHEMA)
    return db


def db_put(path, row):
    with open_db(path) as db:
        db.execute("INSERT OR REPLACE INTO peers VALUES (?, ?, ?, ?)", row)
    db.close()


def db_get(path, pub):
    db = open_db(path)
    try:
        row = db.execute("SELECT public_key, allowed_ips, preshared_key, keepalive "
                         "FROM peers WHERE public_key = ?", (pub,)).fetchone()
    finally:
        db.close()
    if row is None:
        return None
    doc = {"public_key": row[0], "allowed_ips": json.loads(row[1])}
    if row[2] is not None:
        doc["preshared_key"] = row[2]
    if row[3] is not None:
        doc["persistent_keepalive"] = row[3]
    return doc


def db_del(path, pub):
    with open_db(path) as db:
        n = db.execute("DELETE FROM peers WHERE public_key = ?", (pub,)).rowcount
    db.close()
    return n


class State:
    def __init__(self, db, token):
        self.db = db
        self.token = token
        self.lock = threading.Lock()
        self.mode = "none"
        self.delay = 0.0
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = 0
            self.per_key = {}
            self.unauthorized = 0
            self.connections = 0
            self.api_connections = 0
            self.active = 0
            self.max_active = 0

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "per_key": dict(self.per_key),
                    "unauthorized": self.unauthorized,
                    "connections": self.connections,
                    "api_connections": self.api_connections,
                    "active": self.active,
                    "max_active": self.max_active,
                    "fault": {"mode": self.mode, "delay": self.delay}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, so clients can reuse
    server_version = "wgjit-cp/1"
    status = 0
    api_seen = False    # this connection has carried a /v1 request

    def setup(self):
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1

    def log_message(self, fmt, *args):  # one line per request, our format
        pass

    def log_line(self, start):
        ms = (time.monotonic() - start) * 1000
        sys.stderr.write(f"wgjit-cp: {self.client_address[0]} {self.command} "
                         f"{self.path} {self.status or '-'} {ms:.1f}ms\n")

    def reply(self, status, body=b"", ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body) + "\n").encode()
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise BadInput("body too large")
        return self.rfile.read(n) if n else b""

    def authorized(self):
        st = self.server.state
        if st.token is None:
            return True
        got = self.headers.get("Authorization", "")
        if hmac.compare_digest(got.encode(), b"Bearer " + st.token):
            return True
        with st.lock:
            st.unauthorized += 1
        return False

    def dispatch(self):
        start = time.monotonic()
        try:
            if not self.authorized():
                self.read_body()
                self.reply(401, {"error": "unauthorized"})
            elif self.path.startswith("/v1/peers/") and self.command == "GET":
                self.get_peer(self.path[len("/v1/peers/"):])
            elif self.path.startswith("/admin/"):
                self.admin()
            else:
                self.reply(404, {"error": "no such endpoint"})
        except BadInput as e:
            self.reply(400, {"error": str(e)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.status = self.status or 499
        finally:
            self.log_line(start)

    do_GET = do_POST = do_DELETE = dispatch

    def get_peer(self, url_key):
        st = self.server.state
        with st.lock:
            st.requests += 1
            if not self.api_seen:
                self.api_seen = True
                st.api_connections += 1
            st.per_key[url_key] = st.per_key.get(url_key, 0) + 1
            st.active += 1
            st.max_active = max(st.max_active, st.active)
            mode, delay = st.mode, st.delay
        try:
            self.answer_peer(url_key, mode, delay)
        finally:
            with st.lock:
                st.active -= 1

    def answer_peer(self, url_key, mode, delay):
        if mode == "slow" and delay <= 0:
            delay = 10.0
        if delay > 0:
            time.sleep(delay)
        if mode == "down":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "500":
            self.reply(500, {"error": "injected fault"})
            return
        if mode == "junk":
            self.reply(200, b"\xff\xfe{\"public_key\": \x00junk\x80\n")
            return
        if mode == "big":
            self.big_answer()
            return
        pub = key_from_url(url_key)
        doc = db_get(self.server.state.db, pub)
        if mode == "wrong_key":
            doc = doc or {"allowed_ips": ["10.255.255.1/32"]}
            other = bytes(b ^ 0xff for b in base64.b64decode(pub))
            doc["public_key"] = base64.b64encode(other).decode()
        if doc is None:
            self.reply(404, {"error": "unknown peer"})
        else:
            self.reply(200, doc)

    def big_answer(self):
        # Chunked, so no Content-Length warns the client: it must cut the
        # transfer itself once over its cap.
        self.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b" " * 65536
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        for _ in range(160):            # 10 MiB
            self.wfile.write(frame)
        self.wfile.write(b"0\r\n\r\n")

    def admin(self):
        st = self.server.state
        path, cmd = self.path, self.command
        if path == "/admin/peers" and cmd == "POST":
            try:
                doc = json.loads(self.read_body())
            except ValueError:
                raise BadInput("peer: not JSON") from None
            row = check_peer(doc)
            db_put(st.db, row)
            self.reply(201, {"public_key": row[0]})
        elif path.startswith("/admin/peers/") and cmd == "DELETE":
            pub = key_from_url(path[len("/admin/peers/"):])
            found = db_del(st.db, pub)
            self.reply(204 if found else 404)
        elif path == "/admin/stats" and cmd == "GET":
            self.reply(200, st.stats())
        elif path == "/admin/reset" and cmd == "POST":
            self.read_body()
            st.reset()
            self.reply(204)
        elif path == "/admin/fault" and cmd == "POST":
            try:
                doc = json.loads(self.read_body())
            except ValueError:
                raise BadInput("fault: not JSON") from None
            if not isinstance(doc, dict) or doc.get("mode", "none") not in FAULT_MODES:
                raise BadInput("fault: mode must be one of " + "|".join(FAULT_MODES))
            delay = doc.get("delay", 0)
            if type(delay) not in (int, float) or not 0 <= delay <= 600:
                raise BadInput("fault: delay must be 0..600 seconds")
            with st.lock:
                st.mode, st.delay = doc.get("mode", "none"), float(delay)
            self.reply(200, st.stats()["fault"])
        else:
            self.reply(404, {"error": "no such endpoint"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128    # the default 5 drops bursts of connects


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise SystemExit(f"wgjit-cp: bad --listen {text!r}: want HOST:PORT")
    host = host.strip("[]")
    return host, int(port)


def read_token(path):
    with open(path, "rb") as f:
        tok = f.read().strip()
    if not tok or any(b < 0x21 or b > 0x7e for b in tok):
        raise SystemExit(f"wgjit-cp: token file {path}: empty or not printable")
    return tok


def cmd_serve(args):
    host, port = parse_listen(args.listen)
    token = read_token(args.token) if args.token else None
    open_db(args.db).close()
    Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = Server((host, port), Handler)
    srv.state = State(args.db, token)
    port = srv.server_address[1]
    print(f"wgjit-cp: listening on {args.listen.rpartition(':')[0]}:{port}", flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


def cmd_add(args):
    doc = {"public_key": args.public_key,
           "allowed_ips": [s for s in args.allowed_ips.split(",") if s]}
    if args.preshared_key_file:
        with open(args.preshared_key_file) as f:
            doc["preshared_key"] = f.read().strip()
    if args.keepalive is not None:
        doc["persistent_keepalive"] = args.keepalive
    try:
        db_put(args.db, check_peer(doc))
    except BadInput as e:
        raise SystemExit(f"wgjit-cp: {e}") from None


def cmd_del(args):
    try:
        pub = key_from_b64(args.public_key)
    except BadInput as e:
        raise SystemExit(f"wgjit-cp: {e}") from None
    if not db_del(args.db, pub):
        raise SystemExit(f"wgjit-cp: no peer {pub}")


def cmd_list(args):
    db = open_db(args.db)
    for row in db.execute("SELECT public_key, allowed_ips, keepalive, "
                          "preshared_key IS NOT NULL FROM peers ORDER BY 1"):
        print(f"{row[0]} {key_to_url(row[0])} allowed_ips={row[1]} "
              f"keepalive={row[2]} psk={'yes' if row[3] else 'no'}")
    db.close()


def main(argv):
    ap = argparse.ArgumentParser(prog="wgjit-cp.py",
                                 description="wgjit reference control plane")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="serve the HTTP API (default)")
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT, port 0 picks one")
    p.add_argument("--db", required=True, help="SQLite file (created if missing)")
    p.add_argument("--port-file", help="write the chosen port here")
    p.add_argument("--token", help="file with the bearer token to require")
    p.set_defaults(fn=cmd_serve)
    p = sub.add_parser("add", help="add or replace a peer in the DB file")
    p.add_argument("--db", required=True)
    p.add_argument("--public-key", required=True, help="standard base64")
    p.add_argument("--allowed-ips", default="", help="comma-separated CIDRs")
    p.add_argument("--preshared-key-file")
    p.add_argument("--keepalive", type=int)
    p.set_defaults(fn=cmd_add)
    p = sub.add_parser("del", help="delete a peer from the DB file")
    p.add_argument("--db", required=True)
    p.add_argument("--public-key", required=True)
    p.set_defaults(fn=cmd_del)
    p = sub.add_parser("list", help="list the peers in the DB file")
    p.add_argument("--db", required=True)
    p.set_defaults(fn=cmd_list)
    if argv and argv[0] not in ("serve", "add", "del", "list", "-h", "--help"):
        argv = ["serve"] + argv
    args = ap.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main(sys.argv[1:])
