# vim:set ft= ts=4 sw=4 et fdm=marker:
# Upgrade (WebSocket) proxying: 101 from the upstream, then raw bytes both
# ways. The backend speaks through ngx.req.socket(true).

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                local sock = assert(ngx.req.socket(true))
                assert(sock:send("HTTP/1.1 101 Switching Protocols\\r\\n"
                                 .. "Upgrade: websocket\\r\\n"
                                 .. "Connection: Upgrade\\r\\n\\r\\n"))
                local data = assert(sock:receive(4))
                ngx.log(ngx.WARN, "backend got: ", data)
                assert(sock:send("pong:" .. data))
            }
        }
    }
};

run_tests();

__DATA__

=== TEST 1: 101 and a relay in both directions
--- http_config eval: $::HttpConfig
--- config
    location /ws {
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
"GET /ws HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
\r
ping"
--- error_code: 101
--- response_headers
Upgrade: websocket
--- error_log
backend got: ping
