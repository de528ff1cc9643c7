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
