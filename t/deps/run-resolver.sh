#!/bin/sh
# Runs t/deps/076-resolver-more.spec with t/deps/dns-stub.py (a name server
# that counts queries, and one that never answers), stopped by pid.
# Usage: t/deps/run-resolver.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
# The stub is started again on other ports if it could not bind (a port taken between
# the choice and its bind), rather than every spec timing out against a dead stub.
for attempt in 1 2 3; do
    PORT=$(python3 t/deps/free-port.py)
    SILENT=$(python3 t/deps/free-port.py)
    python3 t/deps/dns-stub.py "$PORT" "$SILENT" &
    STUB=$!
    sleep 0.3
    if kill -0 "$STUB" 2>/dev/null; then break; fi
    wait "$STUB" 2>/dev/null || true
    echo "run-resolver.sh: the DNS stub did not start on $PORT/$SILENT (attempt $attempt)" >&2
done
status=0
TEST_NGINX_STUB_DNS_PORT=$PORT TEST_NGINX_SILENT_DNS_PORT=$SILENT \
    .build/debug/mgprove "$@" t/deps/076-resolver-more.spec || status=$?
kill "$STUB"
wait "$STUB" 2>/dev/null || true
exit $status
