#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The wgjit authors
#
# The fetcher's connection pool against a real server: nginx on loopback,
# one static JSON answer file per registered key, plain HTTP/1.1 and
# HTTPS with HTTP/2 (a throw-away CA made with openssl).
#
# usage: fetch_nginx.sh TEST_FETCH_POOL
set -euo pipefail
test_bin=$1
if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
	echo "SKIP: nginx or openssl missing (devtools/deps.txt)"
	exit 77
fi
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ports=$(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
read -r http_port https_port <<<"$ports"

mkdir -p "$tmp/root/v1/peers" "$tmp/body"
/usr/bin/python3 - "$tmp" <<'PY'
import base64, json, os, sys
tmp = sys.argv[1]
keys = [base64.b64encode(os.urandom(32)).decode() for _ in range(400)]
open(f"{tmp}/keys", "w").write("\n".join(keys) + "\n")
for i, k in enumerate(keys[:200]):
    url = base64.urlsafe_b64encode(base64.b64decode(k)).decode().rstrip("=")
    json.dump({"public_key": k, "allowed_ips": [f"10.90.{i // 250}.{1 + i % 250}/32"]},
              open(f"{tmp}/root/v1/peers/{url}", "w"))
PY
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=wgjit-test \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
cat > "$tmp/nginx.conf" <<EOF2
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/body;
    server {
        listen 127.0.0.1:$http_port;
        listen 127.0.0.1:$https_port ssl http2;
        ssl_certificate $tmp/cert.pem;
        ssl_certificate_key $tmp/key.pem;
        root $tmp/root;
        location /v1/peers/ { default_type application/json; try_files \$uri =404; }
    }
}
EOF2
nginx -c "$tmp/nginx.conf" -e "$tmp/error.log" &
pid=$!
for _ in $(seq 100); do
	nc -z 127.0.0.1 "$https_port" 2>/dev/null && break
	sleep 0.05
done
# The first 200 keys of the file have an answer, the other 200 get a 404.
"$test_bin" "http://127.0.0.1:$http_port" "$tmp/keys"
"$test_bin" "https://127.0.0.1:$https_port" "$tmp/keys" "$tmp/cert.pem"
