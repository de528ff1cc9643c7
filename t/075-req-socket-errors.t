# vim:set ft= ts=4 sw=4 et fdm=marker:
# Downstream socket errors as ngx_lua reports them: the body reader when the
# client closes mid-body ("client aborted"), the raw request socket when the
# client closes, and ngx.req.socket(true) with output the kernel has not
# taken yet ("pending data to write").

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: the body reader streams, then reports the close as client aborted
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            sock:settimeout(3000)
            local data, err, part = sock:receive(5)
            ngx.log(ngx.WARN, "first: ", data, " ", err)
            data, err, part = sock:receive(5)
            ngx.log(ngx.WARN, "second: ", data, " ", err, " [", part, "]")
        }
    }
--- raw_request eval
"POST /t HTTP/1.0\r
Host: localhost\r
Content-Length: 100\r
\r
hello"
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1
--- error_log
first: hello nil
second: nil client aborted []
--- no_error_log
[error]



=== TEST 2: receive *a keeps the partial body with client aborted
--- config
    location = /t {
        lua_check_client_abort off;
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            sock:settimeout(3000)
            local data, err, part = sock:receive("*a")
            if not data then
                ngx.log(ngx.NOTICE, "failed to receive: ", err, ": ", part)
                return
            end
            ngx.log(ngx.NOTICE, "received: ", data)
        }
    }
--- raw_request eval
"POST /t HTTP/1.0\r
Host: localhost\r
Connection: close\r
Content-Length: 100\r
\r
hello"
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1
--- error_log
failed to receive: client aborted: hello
--- no_error_log
[error]



=== TEST 3: lua_check_client_abort on gives the same error to the body reader
--- config
    location = /t {
        lua_check_client_abort on;
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            sock:settimeout(3000)
            local data, err, part = sock:receive(100)
            if not data then
                ngx.log(ngx.NOTICE, "failed to receive: ", err, ": ", part)
                return
            end
        }
    }
--- raw_request eval
"POST /t HTTP/1.0\r
Host: localhost\r
Connection: close\r
Content-Length: 100\r
\r
hello"
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1
--- error_log
failed to receive: client aborted: hello
--- no_error_log
[error]



=== TEST 4: a complete body, then reading past its end says closed
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            ngx.say(sock:receive(5))
            ngx.say(sock:receive(5))
        }
    }
--- request
POST /t
hello
--- response_body
hello
nilclosed
--- no_error_log
[error]



=== TEST 5: the raw socket says closed when the client closes
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            sock:settimeout(3000)
            local data, err, part = sock:receive()
            ngx.log(ngx.WARN, "raw read: ", data, " ", err, " [", part, "]")
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
abc"
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1
--- error_log
raw read: nil closed [abc]



=== TEST 6: the raw socket says client aborted with lua_check_client_abort on
--- config
    location = /t {
        lua_check_client_abort on;
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            sock:settimeout(3000)
            local data, err, part = sock:receive()
            ngx.log(ngx.WARN, "raw read: ", data, " ", err, " [", part, "]")
        }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: localhost\r
\r
abc"
--- timeout: 1
--- abort
--- ignore_response
--- wait: 1.5
--- error_log
raw read: nil client aborted [abc]



=== TEST 7: output the kernel has not taken yet: pending data to write
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(string.rep("a", 64 * 1024 * 1024))
            local sock, err = ngx.req.socket(true)
            ngx.log(ngx.WARN, "raw socket: ", sock ~= nil, " ", err)
        }
    }
--- request
GET /t
--- ignore_response
--- error_log
raw socket: false pending data to write



=== TEST 8: after ngx.flush(true) the raw socket is available
--- config
    location = /t {
        content_by_lua_block {
            ngx.send_headers()
            ngx.print(string.rep("a", 8 * 1024 * 1024))
            ngx.flush(true)
            local sock, err = ngx.req.socket(true)
            ngx.log(ngx.WARN, "raw socket: ", sock ~= nil, " ", err)
        }
    }
--- request
GET /t
--- ignore_response
--- error_log
raw socket: true nil
--- no_error_log
[error]



=== TEST 9: output held back for an HTTP/1.0 client: http 1.0 buffering
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("held")
            local sock, err = ngx.req.socket(true)
            ngx.log(ngx.WARN, "raw socket: ", sock ~= nil, " ", err)
        }
    }
--- request
GET /t HTTP/1.0
--- response_body
held
--- error_log
raw socket: false http 1.0 buffering



=== TEST 10: with lua_http10_buffering off the raw socket is available
--- config
    location = /t {
        lua_http10_buffering off;
        content_by_lua_block {
            ngx.say("sent")
            local sock, err = ngx.req.socket(true)
            ngx.log(ngx.WARN, "raw socket: ", sock ~= nil, " ", err)
        }
    }
--- request
GET /t HTTP/1.0
--- ignore_response
--- error_log
raw socket: true nil



=== TEST 11: the body reader refuses a chunked body, as ngx_lua 0.10.23
--- config
    location = /t {
        content_by_lua_block {
            local sock, err = ngx.req.socket()
            ngx.say(sock ~= nil, " ", err)
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Transfer-Encoding: chunked\r
Connection: close\r
\r
5\r
hello\r
0\r
\r
"
--- response_body
false chunked request bodies not supported yet
