#!/bin/sh
# Runs t/deps/072-resty-libs.spec: lua-resty-string, -lrucache, -websocket
# (client and server) and -memcached from Debian's packages, unmodified, with a
# private memcached stopped by pid. Usage: t/deps/run-libs.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
DEPS="$PWD/.test-deps"
mkdir -p "$DEPS"
for p in lua-nginx-string lua-nginx-memcached lua-nginx-websocket lua-resty-lrucache; do
    if ! ls "$DEPS"/${p}_*.deb >/dev/null 2>&1; then
        # A fresh machine may have no package lists yet: update once and retry.
        (cd "$DEPS" && { apt-get download "$p" 2>/dev/null \
            || { apt-get update -qq && apt-get download "$p"; }; })
    fi
    dpkg -x "$DEPS"/${p}_*.deb "$DEPS/x"
done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
memcached -l 127.0.0.1 -p "$PORT" -U 0 -m 16 -u "$(id -un)" &
MEMCACHED=$!
sleep 0.3
status=0
TEST_NGINX_MEMCACHED_PORT=$PORT TEST_NGINX_LUA_LIB="$DEPS/x/usr/share/lua/5.1" \
    .build/debug/mgprove "$@" t/deps/072-resty-libs.spec || status=$?
kill "$MEMCACHED"
wait "$MEMCACHED" 2>/dev/null || true
exit $status
