#!/bin/sh
# Runs t/deps/068-resty-redis.spec with a private redis-server, stopped by
# pid. Usage: t/deps/run-redis.sh [mgprove options]
# (set TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES for the reference).
set -e
cd "$(dirname "$0")/../.."
DEPS="$PWD/.test-deps"
if [ ! -f "$DEPS/x/usr/share/lua/5.1/nginx/redis.lua" ]; then
    mkdir -p "$DEPS"
    (cd "$DEPS" && { apt-get download lua-nginx-redis 2>/dev/null \
        || { apt-get update -qq && apt-get download lua-nginx-redis; }; } \
        && dpkg -x lua-nginx-redis_*.deb x)
fi
PORT=${TEST_NGINX_REDIS_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
PIDFILE="$DEPS/redis-$PORT.pid"
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$PIDFILE" --dir "$DEPS" --logfile "$DEPS/redis-$PORT.log"
i=0
while [ ! -s "$PIDFILE" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
status=0
TEST_NGINX_REDIS_PORT=$PORT TEST_NGINX_REDIS_LIB="$DEPS/x/usr/share/lua/5.1" \
    .build/debug/mgprove "$@" t/deps/068-resty-redis.spec || status=$?
kill "$(cat "$PIDFILE")"
exit $status
