#!/bin/sh
# Runs t/deps/076-resolver-more.spec with t/deps/dns-stub.py (a name server
# that counts queries, and one that never answers), stopped by pid.
# Usage: t/deps/run-resolver.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
free_udp() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PORT=$(free_udp)
SILENT=$(free_udp)
python3 t/deps/dns-stub.py "$PORT" "$SILENT" &
STUB=$!
sleep 0.3
status=0
TEST_NGINX_STUB_DNS_PORT=$PORT TEST_NGINX_SILENT_DNS_PORT=$SILENT \
    .build/debug/mgprove "$@" t/deps/076-resolver-more.spec || status=$?
kill "$STUB"
wait "$STUB" 2>/dev/null || true
exit $status
