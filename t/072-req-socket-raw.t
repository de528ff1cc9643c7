# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.socket(true): the raw downstream socket. The handler reads what the
# client sends after the request head and writes the whole response itself.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();
log_level('warn');

run_tests();

__DATA__

=== TEST 1: echo a line over the raw socket, the handler writes the head
--- config
    location = /t {
        content_by_lua_block {
            local sock, err = ngx.req.socket(true)
            if not sock then
                ngx.log(ngx.ERR, "failed to get raw req socket: ", err)
                return
            end
            local line, err = sock:receive()
            if not line then
                ngx.log(ngx.ERR, "failed to receive: ", err)
                return
            end
            local body = "echo: " .. line .. "\n"
            local bytes, err = sock:send("HTTP/1.1 200 OK\r\nContent-Length: "
                                         .. #body .. "\r\nX-Raw: 1\r\n\r\n"
                                         .. body)
            ngx.log(ngx.WARN, "sent: ", bytes)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
Upgrade: echo\r
\r
hello world\r
"
--- response_headers
X-Raw: 1
Content-Length: 18
--- response_body
echo: hello world
--- error_log
sent: 67
--- no_error_log
[error]



=== TEST 2: an unread body is raw bytes of the connection
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            local data = assert(sock:receive(5))
            local rest = assert(sock:receive(4))
            assert(sock:send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
                             .. data .. ":" .. rest))
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Content-Length: 5\r
\r
hellomore"
--- response_body chop
hello:more
--- no_error_log
[error]



=== TEST 3: receiveuntil, receiveany, settimeout; the end closes the connection
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            sock:settimeout(1000)
            local reader = sock:receiveuntil(";")
            local a = assert(reader())
            local b = assert(reader())
            local c = assert(sock:receiveany(100))
            -- No length: the client reads until the connection closes.
            assert(sock:send("HTTP/1.1 200 OK\r\n\r\n" .. a .. "|" .. b
                             .. "|" .. c .. "\n"))
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
ab;cd;ef"
--- response_body
ab|cd|ef
--- no_error_log
[error]



=== TEST 4: read timeout keeps the partial data
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            sock:settimeout(100)
            local data, err, partial = sock:receive(10)
            ngx.log(ngx.WARN, "1: ", err, ", received: ", partial)
            data, err, partial = sock:receive(10)
            ngx.log(ngx.WARN, "2: ", err, ", received: ", partial)
            ngx.exit(444)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
ab"
--- ignore_response
--- error_log
lua tcp socket read timed out
1: timeout, received: ab,
2: timeout, received: ,



=== TEST 5: a second call is a duplicate call
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
            ngx.flush(true)
            local sock, err = ngx.req.socket(true)
            if not sock then
                ngx.log(ngx.ERR, "failed to get raw req socket: ", err)
                return
            end
            local sock2, err = ngx.req.socket(true)
            ngx.log(ngx.WARN, "second: ", sock2, " ", err)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
"
--- ignore_response
--- error_log
second: nil duplicate call
--- no_error_log
[error]



=== TEST 6: output through ngx after the raw socket was taken
--- config
    location = /t {
        content_by_lua_block {
            ngx.send_headers()
            ngx.flush(true)
            local sock = assert(ngx.req.socket(true))
            local ok, err = ngx.say("ok")
            ngx.log(ngx.WARN, "say: ", ok, " ", err)
            ok, err = ngx.print("ok")
            ngx.log(ngx.WARN, "print: ", ok, " ", err)
            ok, err = ngx.flush()
            ngx.log(ngx.WARN, "flush: ", ok, " ", err)
            ok, err = ngx.eof()
            ngx.log(ngx.WARN, "eof: ", ok, " ", err)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
"
--- ignore_response
--- error_log
say: nil raw request socket acquired
print: nil raw request socket acquired
flush: nil raw request socket acquired
eof: nil raw request socket acquired



=== TEST 7: bad arguments to the raw socket's methods
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            local ok, err = pcall(sock.receive, sock, "*x")
            ngx.log(ngx.WARN, "receive: ", err)
            ok, err = pcall(sock.send, sock)
            ngx.log(ngx.WARN, "send: ", err)
            ok, err = pcall(sock.send, sock, "a", "b")
            ngx.log(ngx.WARN, "send 3: ", err)
            ngx.exit(444)
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
"
--- ignore_response
--- error_log
receive: bad argument #2 to '?' (bad pattern argument)
send: expecting 2 arguments (including the object), but got 1
send 3: expecting 2 arguments (including the object), but got 3
