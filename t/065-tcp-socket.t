# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.socket.tcp (ngx_http_lua_socket_tcp.c) against a local HTTP backend.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: connect, send, receive lines and *a
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hello\nworld\n"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
            ngx.say("connect: ", ok, " ", err)
            local bytes, err = sock:send({"GET /b HTTP/1.0\r\n", "Host: x\r\n",
                                          {"\r\n"}})
            ngx.say("sent: ", bytes, " ", err)
            local line, err = sock:receive()
            ngx.say("status: ", line, " ", err)
            local body = sock:receiveuntil("\r\n\r\n")()
            local rest, err = sock:receive("*a")
            ngx.say("rest: [", rest, "] ", err)
            ngx.say("again: ", sock:receive())
            ngx.say("close: ", sock:close())
            ngx.say("close again: ", sock:close())
        }
    }
--- request
GET /t
--- response_body
connect: 1 nil
sent: 28 nil
status: HTTP/1.1 200 OK nil
rest: [hello
world
] nil
again: nilclosed
close: 1
close again: nilclosed
--- no_error_log
[error]



=== TEST 2: receive(size) with partial data when the peer closes
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "abcdef"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
            local reader = sock:receiveuntil("\r\n\r\n")
            assert(reader())
            ngx.say(sock:receive(4))
            ngx.say(sock:receive(100))
            ngx.say(sock:send("x"))
        }
    }
--- request
GET /t
--- response_body
abcd
nilclosedef
1



=== TEST 3: connection refused
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_2)
            ngx.say(ok, " ", err)
            ngx.say(sock:send("x"))
        }
    }
--- request
GET /t
--- response_body
nil connection refused
nilclosed
--- error_log
connect() failed (111: Connection refused)



=== TEST 4: read timeout keeps the connection
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "ok"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(100)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /b HTTP/1.0\r\n"))
            ngx.say(sock:receive())
            ngx.say(sock:receive())
            assert(sock:send("\r\n"))
            local line = sock:receive()
            ngx.say(line)
        }
    }
--- request
GET /t
--- response_body
niltimeout
niltimeout
HTTP/1.1 200 OK
--- error_log
lua tcp socket read timed out



=== TEST 5: receiveuntil with a size and inclusive
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hello--abc--world--abc--"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
            assert(sock:receiveuntil("\r\n\r\n")())
            local reader = sock:receiveuntil("--abc--")
            while true do
                local data, err, partial = reader(2)
                if not data then
                    if err then
                        ngx.say("err: ", err)
                    end
                    ngx.say("done")
                    break
                end
                ngx.say("chunk: ", data)
            end
            reader = sock:receiveuntil("--abc--", { inclusive = true })
            ngx.say(reader())
            ngx.say(reader())
        }
    }
--- request
GET /t
--- response_body
chunk: he
chunk: ll
chunk: o
done
world--abc--
nilclosed
--- no_error_log
[error]



=== TEST 6: receiveany
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "0123456789"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
            assert(sock:receiveuntil("\r\n\r\n")())
            local data, err = sock:receiveany(4)
            ngx.say(#data <= 4, " ", err)
            ngx.say(pcall(sock.receiveany, sock, 0))
        }
    }
--- request
GET /t
--- response_body
true nil
falsebad argument #2 to '?' (bad max argument)



=== TEST 7: host names need a resolver
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:connect("no-such-host.example", 80))
            ngx.say(sock:connect("localhost", 80))
        }
    }
--- request
GET /t
--- response_body
nilno resolver defined to resolve "no-such-host.example"
nilno resolver defined to resolve "localhost"



=== TEST 8: cosockets are disabled in log_by_lua and header_filter_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            local ok, err = pcall(ngx.socket.tcp)
            ngx.log(ngx.WARN, "hf: ", err)
        }
        log_by_lua_block {
            local ok, err = pcall(ngx.socket.tcp)
            ngx.log(ngx.WARN, "log: ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
hf: API disabled in the context of header_filter_by_lua*
log: API disabled in the context of log_by_lua*



=== TEST 9: bad send and receive arguments
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "ok"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say(pcall(sock.send, sock, function() end))
            ngx.say(pcall(sock.receive, sock, "*x"))
            ngx.say(sock:connect("127.0.0.1", 70000))
        }
    }
--- request
GET /t
--- response_body
falsebad argument #2 to '?' (string, number, boolean, nil, or array table expected, got function)
falsebad argument #2 to '?' (bad pattern argument)
nilbad port number: 70000



=== TEST 10: cosocket in a timer and ngx.socket.connect
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "from backend"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            assert(ngx.timer.at(0, function()
                local sock, err = ngx.socket.connect("127.0.0.1",
                                                     $TEST_NGINX_RAND_PORT_1)
                if not sock then
                    ngx.log(ngx.ERR, "connect: ", err)
                    return
                end
                sock:send("GET /b HTTP/1.0\r\n\r\n")
                local data = sock:receive("*a")
                ngx.log(ngx.WARN, "timer got: ", data:match("from backend"))
            end))
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.2
--- error_log
timer got: from backend
--- no_error_log
[error]
