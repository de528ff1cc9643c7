# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.socket.udp (ngx_http_lua_socket_udp.c). No UDP backend here: these
# cover the peer that is not listening, timeouts and misuse.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: nobody listening: receive fails
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            udp:settimeout(200)
            ngx.say(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(udp:send("hello"))
            ngx.say(udp:receive())
            ngx.say(udp:close())
            ngx.say(udp:close())
        }
    }
--- request
GET /t
--- response_body
1
1
nilconnection refused
1
nilclosed



=== TEST 2: send before setpeername
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            ngx.say(udp:send("hello"))
            ngx.say(udp:receive())
        }
    }
--- request
GET /t
--- response_body
nilclosed
nilclosed



=== TEST 3: host names need a resolver
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            ngx.say(udp:setpeername("no-such-host.example", 53))
        }
    }
--- request
GET /t
--- response_body
nilno resolver defined to resolve "no-such-host.example"



=== TEST 4: disabled in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local ok, err = pcall(ngx.socket.udp)
            ngx.log(ngx.WARN, "udp: ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
udp: API disabled in the context of log_by_lua*



=== TEST 5: the request's end closes its UDP sockets
--- config
    location = /a {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            ngx.say(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(udp:send("hello"))
            package.loaded.saved_udp = udp
        }
    }
    location = /t {
        content_by_lua_block {
            local udp = package.loaded.saved_udp
            ngx.say(udp:send("again"))
            ngx.say(udp:close())
            ngx.say(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(udp:send("third"))
            ngx.say(udp:close())
        }
    }
--- pipelined_requests eval
["GET /a", "GET /t"]
--- response_body eval
["1\n1\n", "nilclosed\nnilclosed\n1\n1\n1\n"]



=== TEST 6: a timer may not use its request's open UDP socket
--- config
    location = /t {
        content_by_lua_block {
            local udp = ngx.socket.udp()
            assert(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(ngx.timer.at(0, function()
                local ok, err = pcall(udp.send, udp, "x")
                ngx.log(ngx.WARN, "timer send: ", ok, " ", err)
            end))
            ngx.sleep(0.05)
            ngx.say(udp:send("mine"))
        }
    }
--- request
GET /t
--- response_body
1
--- error_log
timer send: false bad request



=== TEST 7: many sockets in one request: the open ones still close at its end
--- config
    location = /a {
        content_by_lua_block {
            local first
            for i = 1, 30 do
                local udp = ngx.socket.udp()
                assert(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                assert(udp:send("x"))
                assert(udp:close())
                first = first or udp
            end
            local keep = ngx.socket.udp()
            assert(keep:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            for i = 1, 30 do
                local udp = ngx.socket.udp()
                assert(udp:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                assert(udp:close())
            end
            assert(first:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            package.loaded.saved_udp = { keep, first }
            ngx.say(keep:send("a"), " ", first:send("b"))
        }
    }
    location = /t {
        content_by_lua_block {
            for _, udp in ipairs(package.loaded.saved_udp) do
                ngx.say(udp:send("again"))
            end
        }
    }
--- pipelined_requests eval
["GET /a", "GET /t"]
--- response_body eval
["1 1\n", "nilclosed\nnilclosed\n"]
