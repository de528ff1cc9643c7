#!/bin/sh
# Runs t/deps/076-resolver-more.spec with t/deps/dns-stub.py (a name server
# that counts queries, and one that never answers), stopped by pid.
# Usage: t/deps/run-resolver.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
. t/deps/free-ports.sh
start_on_free_ports "run-resolver.sh: the DNS stub" 'python3 t/deps/dns-stub.py "$PORT" "$SILENT"'
STUB=$SERVER
status=0
TEST_NGINX_STUB_DNS_PORT=$PORT TEST_NGINX_SILENT_DNS_PORT=$SILENT \
    .build/debug/mgprove "$@" t/deps/076-resolver-more.spec || status=$?
kill "$STUB"
wait "$STUB" 2>/dev/null || true
exit $status
