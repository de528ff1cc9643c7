# vim:set ft= ts=4 sw=4 et fdm=marker:
# Cosocket connection pools: setkeepalive, getreusedtimes, pool names.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        keepalive_timeout 60s;
        location = /b { return 200 "hello"; }
    }
    init_by_lua_block {
        function fetch(sock)
            local ok, err = sock:send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            if not ok then return nil, err end
            local head, err = sock:receiveuntil("\r\n\r\n")()
            if not head then return nil, err end
            local len = tonumber(head:match("Content%-Length: (%d+)"))
            return sock:receive(len)
        end
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: reuse a kept-alive connection
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                ngx.say(i, ": reused ", sock:getreusedtimes(), " ",
                        fetch(sock))
                ngx.say("keepalive: ", sock:setkeepalive())
                ngx.say("after: ", sock:getreusedtimes())
            end
        }
    }
--- request
GET /t
--- response_body
1: reused 0 hello
keepalive: 1
after: nilclosed
2: reused 1 hello
keepalive: 1
after: nilclosed
3: reused 2 hello
keepalive: 1
after: nilclosed
--- no_error_log
[error]



=== TEST 2: named pools are separate
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1,
                                { pool = "a" }))
            fetch(sock)
            assert(sock:setkeepalive())
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1,
                                { pool = "b", pool_size = 2 }))
            ngx.say("b: ", sock:getreusedtimes())
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1,
                                { pool = "a" }))
            ngx.say("a: ", sock:getreusedtimes())
        }
    }
--- request
GET /t
--- response_body
b: 0
a: 1



=== TEST 3: setkeepalive with unread data, and on a closed socket
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            sock:send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            sock:receive()
            ngx.say(sock:setkeepalive())
            sock:close()
            ngx.say(sock:setkeepalive())
        }
    }
--- request
GET /t
--- response_body
nilunread data in buffer
nilclosed



=== TEST 4: idle timeout closes pooled connections
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            fetch(sock)
            assert(sock:setkeepalive(10))
            ngx.sleep(0.1)
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say("reused: ", sock:getreusedtimes())
        }
    }
--- request
GET /t
--- response_body
reused: 0



=== TEST 5: a pooled connection the peer closes is not reused
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        keepalive_timeout 0;
        location = /b { return 200 "hello"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            sock:send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            local head = sock:receiveuntil("\r\n\r\n")()
            ngx.say(sock:receive(5))
            ngx.sleep(0.05)
            ngx.say(sock:setkeepalive())
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say("reused: ", sock:getreusedtimes())
        }
    }
--- request
GET /t
--- response_body
hello
nilclosed
reused: 0



=== TEST 6: backlog queues connects while the pool is full
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local port = $TEST_NGINX_RAND_PORT_1
            local opts = { pool = "bl", pool_size = 1, backlog = 1 }
            local a = ngx.socket.tcp()
            assert(a:connect("127.0.0.1", port, opts))
            local tb = ngx.thread.spawn(function()
                local b = ngx.socket.tcp()
                local ok, err = b:connect("127.0.0.1", port, opts)
                ngx.say("b: ", ok, " ", err, " reused ", b:getreusedtimes())
            end)
            local c = ngx.socket.tcp()
            ngx.say("c: ", c:connect("127.0.0.1", port, opts))
            fetch(a)
            ngx.say("a keepalive: ", a:setkeepalive())
            ngx.thread.wait(tb)
        }
    }
--- request
GET /t
--- response_body
c: niltoo many waiting connect operations
a keepalive: 1
b: 1 nil reused 1



=== TEST 7: a queued connect times out
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local port = $TEST_NGINX_RAND_PORT_1
            local opts = { pool = "bl2", pool_size = 1, backlog = 5 }
            local a = ngx.socket.tcp()
            assert(a:connect("127.0.0.1", port, opts))
            local b = ngx.socket.tcp()
            b:settimeout(50)
            ngx.say("b: ", b:connect("127.0.0.1", port, opts))
            a:close()
            ngx.say("c: ", b:connect("127.0.0.1", port, opts))
        }
    }
--- request
GET /t
--- response_body
b: niltimeout
c: 1



=== TEST 8: a pool that connect only looked up takes its size from the first setkeepalive
--- http_config eval: "lua_socket_pool_size 5;\n" . $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 10 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                assert(fetch(sock))
                socks[i] = sock
            end
            for i = 1, 10 do
                assert(socks[i]:setkeepalive(10000, 10))
            end
            local reused = 0
            for i = 1, 12 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                if sock:getreusedtimes() > 0 then reused = reused + 1 end
                socks[i] = sock
            end
            ngx.say("reused ", reused)
        }
    }
--- request
GET /t
--- response_body
reused 10
--- no_error_log
[error]



=== TEST 9: with pool_size at connect the pool's size is fixed there: setkeepalive's is ignored
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 6 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1,
                                    { pool = "fixed", pool_size = 3 }))
                assert(fetch(sock))
                socks[i] = sock
            end
            for i = 1, 6 do
                assert(socks[i]:setkeepalive(10000, 10))
            end
            local reused = 0
            for i = 1, 6 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1,
                                    { pool = "fixed" }))
                if sock:getreusedtimes() > 0 then reused = reused + 1 end
                socks[i] = sock
            end
            ngx.say("reused ", reused)
        }
    }
--- request
GET /t
--- response_body
reused 3
--- no_error_log
[error]
