#!/bin/sh
# Runs t/deps/071-resolver.spec with a private dnsmasq (moongate.test ->
# 127.0.0.1), stopped by pid. Usage: t/deps/run-dns.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
DEPS="$PWD/.test-deps"
mkdir -p "$DEPS"
# dnsmasq listens on UDP and TCP: a port free both ways, and started again on another
# if it could not bind (a port taken between the choice and its bind).
for attempt in 1 2 3; do
    PORT=$(python3 t/deps/free-port.py)
    dnsmasq --keep-in-foreground --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces \
        --no-resolv --no-hosts --address=/moongate.test/127.0.0.1 \
        --address=/moongate-missing.test/ \
        --pid-file= --user="$(id -un)" &
    DNSMASQ=$!
    sleep 0.3
    if kill -0 "$DNSMASQ" 2>/dev/null; then break; fi
    wait "$DNSMASQ" 2>/dev/null || true
    echo "run-dns.sh: dnsmasq did not start on $PORT (attempt $attempt)" >&2
done
status=0
TEST_NGINX_DNS_PORT=$PORT .build/debug/mgprove "$@" t/deps/071-resolver.spec || status=$?
kill "$DNSMASQ"
wait "$DNSMASQ" 2>/dev/null || true
exit $status
