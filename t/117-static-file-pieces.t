# vim:set ft= ts=4 sw=4 et fdm=marker:
# Static files whose bytes the response needs (a body filter, gzip, a subrequest's
# capture, TLS: see t/100-ssl-server.t) go out in pieces of nginx's output buffer size
# (32k), read as the client takes them, not as one buffer holding the file.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: body_filter_by_lua sees a 200 KB file in pieces, and changes each
--- config
    location /big.txt {
        root html;
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block {
            local ctx = ngx.ctx
            ctx.pieces = (ctx.pieces or 0) + (#ngx.arg[1] > 0 and 1 or 0)
            ctx.bytes = (ctx.bytes or 0) + #ngx.arg[1]
            ngx.arg[1] = string.upper(ngx.arg[1])
            if ngx.arg[2] then
                ngx.log(ngx.WARN, "pieces: ", ctx.pieces, ", bytes: ", ctx.bytes,
                        ", largest piece <= 64k: ", ctx.bytes / ctx.pieces <= 65536)
            end
        }
    }
--- user_files eval
[["big.txt", "a" x 204800]]
--- request
GET /big.txt
--- response_body eval
"A" x 204800
--- error_log eval
qr/pieces: (?:[2-9]|\d\d+), bytes: 204800, largest piece <= 64k: true/
--- no_error_log
[error]



=== TEST 2: a subrequest captures a 200 KB file whole
--- config
    location /static/ {
        alias html/;
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/static/big.txt")
            ngx.say(res.status, " ", #res.body, " ", res.body == string.rep("b", 204800))
        }
    }
--- user_files eval
[["big.txt", "b" x 204800]]
--- request
GET /t
--- response_body
200 204800 true
--- no_error_log
[error]



=== TEST 3: gzip compresses a 200 KB file read in pieces
--- config
    location /big.txt {
        root html;
        gzip on;
        gzip_min_length 1;
        gzip_http_version 1.0;
        gzip_types text/plain;
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /big.txt HTTP/1.0\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n")
            local data = sock:receive("*a")
            sock:close()
            local head, body = data:match("^(.-)\r\n\r\n(.*)$")
            ngx.say(head:match("^[^\r]*"))
            ngx.say("gzip: ", head:find("Content-Encoding: gzip", 1, true) ~= nil)
            -- gzip magic, and far smaller than the 200 KB of one repeated byte
            ngx.say("magic: ", body:byte(1) == 0x1f and body:byte(2) == 0x8b)
            ngx.say("small: ", #body > 20 and #body < 4096)
        }
    }
--- user_files eval
[["big.txt", "c" x 204800]]
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
gzip: true
magic: true
small: true
--- no_error_log
[error]



=== TEST 4: a body filter on a file that fits one piece sees it whole
--- config
    location /small.txt {
        root html;
        body_filter_by_lua_block {
            if #ngx.arg[1] > 0 then
                ngx.log(ngx.WARN, "piece of ", #ngx.arg[1])
            end
        }
    }
--- user_files eval
[["small.txt", "d" x 1000]]
--- request
GET /small.txt
--- response_body eval
"d" x 1000
--- error_log
piece of 1000
--- no_error_log
[error]



=== TEST 5: the client goes away in the middle of a filtered 2 MB file: the worker lives on
--- config
    location /huge.txt {
        root html;
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /huge.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
            local line = sock:receive()
            sock:close()
            ngx.sleep(0.2)
            -- the worker still serves
            local res = ngx.location.capture("/huge.txt")
            ngx.say(line, " / ", res.status, " ", #res.body)
        }
    }
--- user_files eval
[["huge.txt", "e" x 2097152]]
--- request
GET /t
--- response_body
HTTP/1.1 200 OK / 200 2097152
--- no_error_log
[error]
[alert]



=== TEST 6: two filtered 100 KB files on one kept-alive connection, pipelined
--- config
    location /mid.txt {
        root html;
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
    }
--- user_files eval
[["mid.txt", "f" x 102400]]
--- pipelined_requests eval
["GET /mid.txt", "GET /mid.txt"]
--- response_body eval
["F" x 102400, "F" x 102400]
--- no_error_log
[error]
