#!/bin/sh
# Runs t/deps/071-resolver.spec with a private dnsmasq (moongate.test ->
# 127.0.0.1), stopped by pid. Usage: t/deps/run-dns.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
DEPS="$PWD/.test-deps"
mkdir -p "$DEPS"
. t/deps/free-ports.sh
start_on_free_ports "run-dns.sh: dnsmasq" 'dnsmasq --keep-in-foreground --port="$PORT" --listen-address=127.0.0.1 \
    --bind-interfaces --no-resolv --no-hosts --address=/moongate.test/127.0.0.1 \
    --address=/moongate-missing.test/ --pid-file= --user="$(id -un)"'
DNSMASQ=$SERVER
status=0
TEST_NGINX_DNS_PORT=$PORT .build/debug/mgprove "$@" t/deps/071-resolver.spec || status=$?
kill "$DNSMASQ"
wait "$DNSMASQ" 2>/dev/null || true
exit $status
