# vim:set ft= ts=4 sw=4 et fdm=marker:
# tcpsock:setoption / tcpsock:getoption (ngx_lua 0.10.23 with lua-resty-core's
# socket.lua): keepalive, reuseaddr, tcp-nodelay, sndbuf, rcvbuf.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: boolean options go on and off with 1/0, true/false and ~0
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            for _, opt in ipairs{"keepalive", "reuseaddr", "tcp-nodelay"} do
                for _, on in ipairs{1, true, 10} do
                    local off = on == true and false or 0
                    local v1 = assert(sock:getoption(opt))
                    local ok = assert(sock:setoption(opt, on))
                    local v2 = assert(sock:getoption(opt))
                    assert(sock:setoption(opt, off))
                    local v3 = assert(sock:getoption(opt))
                    ngx.say(opt, " ", tostring(on), ": ", ok, " ", v1, " -> ",
                            v2, " -> ", v3)
                end
            end
            sock:close()
        }
    }
--- request
GET /t
--- response_body
keepalive 1: true 0 -> 1 -> 0
keepalive true: true 0 -> 1 -> 0
keepalive 10: true 0 -> 1 -> 0
reuseaddr 1: true 0 -> 1 -> 0
reuseaddr true: true 0 -> 1 -> 0
reuseaddr 10: true 0 -> 1 -> 0
tcp-nodelay 1: true 0 -> 1 -> 0
tcp-nodelay true: true 0 -> 1 -> 0
tcp-nodelay 10: true 0 -> 1 -> 0
--- no_error_log
[error]



=== TEST 2: buffer sizes as the kernel keeps them (doubled, with a floor)
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            for _, opt in ipairs{"sndbuf", "rcvbuf"} do
                local v1 = sock:getoption(opt)
                ngx.say(opt, " default is a number: ", type(v1) == "number"
                        and v1 > 0)
                ngx.say(opt, " 65536: ", sock:setoption(opt, 65536), " ",
                        sock:getoption(opt))
                ngx.say(opt, " 8192.7: ", sock:setoption(opt, 8192.7), " ",
                        sock:getoption(opt))
                ngx.say(opt, " 1: ", sock:setoption(opt, 1), " ",
                        sock:getoption(opt) > 0)
            end
            sock:close()
        }
    }
--- request
GET /t
--- response_body
sndbuf default is a number: true
sndbuf 65536: true 131072
sndbuf 8192.7: true 16384
sndbuf 1: true true
rcvbuf default is a number: true
rcvbuf 65536: true 131072
rcvbuf 8192.7: true 16384
rcvbuf 1: true true
--- no_error_log
[error]



=== TEST 3: tcp-nodelay is off after connect and on after the first send
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            ngx.say("before send: ", sock:getoption("tcp-nodelay"))
            assert(sock:send("GET /x HTTP/1.0\r\nHost: x\r\n\r\n"))
            ngx.say("after send: ", sock:getoption("tcp-nodelay"))
            sock:close()
        }
    }
    location = /x { return 200 "x"; }
--- request
GET /t
--- response_body
before send: 0
after send: 1
--- no_error_log
[error]



=== TEST 4: missing arguments and unsupported options return nil, err
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            ngx.say(sock:getoption())
            ngx.say(sock:setoption())
            ngx.say(sock:setoption("sndbuf"))
            ngx.say(sock:getoption("abc"))
            ngx.say(sock:setoption("abc", 123))
            ngx.say(sock:getoption(1))
            ngx.say(sock:setoption("so_keepalive", 1))
            sock:close()
        }
    }
--- request
GET /t
--- response_body
nilmissing the "option" argument
nilmissing the "option" argument
nilmissing the "value" argument
nilunsupported option abc
nilunsupported option abc
nilunsupported option 1
nilunsupported option so_keepalive
--- no_error_log
[error]



=== TEST 5: closed or failed sockets say "closed"
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            sock:close()
            ngx.say(sock:getoption("keepalive"))
            ngx.say(sock:setoption("keepalive", 1))
            local sock2 = ngx.socket.tcp()
            ngx.say(sock2:connect("127.0.0.1", 1))
            ngx.say(sock2:getoption("sndbuf"))
            ngx.say(sock2:setoption("sndbuf", 4096))
        }
    }
--- request
GET /t
--- response_body
nilclosed
nilclosed
nilconnection refused
nilclosed
nilclosed



=== TEST 6: getoption before connect raises
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:getoption("sndbuf"))
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
socket is never created nor connected



=== TEST 7: setoption before connect raises
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = pcall(sock.setoption, sock, "keepalive", 1)
            ngx.say(ok, " ", err:match("socket is never created nor connected"))
        }
    }
--- request
GET /t
--- response_body
false socket is never created nor connected
--- no_error_log
[error]



=== TEST 8: a value that is not a number raises the FFI's conversion error
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            for _, v in ipairs{"abc", {}} do
                local ok, err = pcall(sock.setoption, sock, "sndbuf", v)
                -- The C function's name differs: moongate's is mg_*.
                ngx.say(ok, " ", err:match("bad argument #3 to '[%w_]+' "
                                           .. "%((cannot convert '%w+' to "
                                           .. "'int')%)"))
            end
            sock:close()
        }
    }
--- request
GET /t
--- response_body
false cannot convert 'string' to 'int'
false cannot convert 'table' to 'int'
--- no_error_log
[error]
