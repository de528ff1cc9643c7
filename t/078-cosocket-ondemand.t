# vim:set ft= ts=4 sw=4 et fdm=marker:
# Cosockets read on demand (ngx_lua reads only inside receive*, into a buffer of
# lua_socket_buffer_size): a peer that sends more than Lua reads waits in the
# kernel, so the worker's memory stays bounded; big reads still complete.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        keepalive_timeout 300ms;
        location = /flood {
            content_by_lua_block {
                local mb = tonumber(ngx.var.arg_mb)
                local chunk = string.rep("x", 1024 * 1024)
                ngx.header.content_length = mb * 1024 * 1024
                for i = 1, mb do
                    ngx.print(chunk)
                    if not ngx.flush(true) then
                        return
                    end
                end
            }
        }
        location = /short {
            content_by_lua_block {
                local sock = ngx.req.socket(true)
                sock:send("HTTP/1.1 200 OK\r\n\r\nhello")
                ngx.sleep(tonumber(ngx.var.arg_sleep) or 0)
            }
        }
        location = /b { return 200 "hello"; }
    }
    init_by_lua_block {
        function rss_kb()
            local f = assert(io.open("/proc/self/status"))
            local s = f:read("*a")
            f:close()
            return tonumber(s:match("VmRSS:%s*(%d+)"))
        end
        function open(path)
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET " .. path .. " HTTP/1.1\r\nHost: x\r\n\r\n"))
            return sock
        end
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: a flood Lua never reads stays in the kernel
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local before = rss_kb()
            local sock = open("/flood?mb=400")
            ngx.sleep(1.5)
            local grown = rss_kb() - before
            ngx.say(grown < 48 * 1024 and "bounded" or "grew " .. grown .. " KB")
            ngx.say(sock:receive())
            sock:close()
        }
    }
--- request
GET /t
--- response_body
bounded
HTTP/1.1 200 OK
--- timeout: 10
--- no_error_log
[error]



=== TEST 2: receive(4096) now and then over a flood reads exact chunks
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local before = rss_kb()
            local sock = open("/flood?mb=400")
            local head = assert(sock:receiveuntil("\r\n\r\n")())
            local total = 0
            for i = 1, 4 do
                local d, err = sock:receive(4096)
                total = total + #d
                ngx.sleep(0.3)
            end
            local grown = rss_kb() - before
            ngx.say(total)
            ngx.say(grown < 48 * 1024 and "bounded" or "grew " .. grown .. " KB")
            sock:close()
        }
    }
--- request
GET /t
--- response_body
16384
bounded
--- timeout: 10
--- no_error_log
[error]



=== TEST 3: receive("*a") of a big response still reads it all
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /flood?mb=8 HTTP/1.1\r\nHost: x\r\n"
                             .. "Connection: close\r\n\r\n"))
            local head = assert(sock:receiveuntil("\r\n\r\n")())
            local body, err = sock:receive("*a")
            ngx.say(#body, " ", err, " ", body:sub(-3))
            sock:close()
        }
    }
--- request
GET /t
--- response_body
8388608 nil xxx
--- timeout: 10
--- no_error_log
[error]



=== TEST 4: receive(n) with a big n reads n bytes, then the rest
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = open("/flood?mb=4")
            local head = assert(sock:receiveuntil("\r\n\r\n")())
            local d = assert(sock:receive(3 * 1024 * 1024 + 5))
            ngx.say(#d)
            d = assert(sock:receive(1024 * 1024 - 5))
            ngx.say(#d)
            ngx.say(sock:setkeepalive())
        }
    }
--- request
GET /t
--- response_body
3145733
1048571
1
--- timeout: 10
--- no_error_log
[error]



=== TEST 5: the peer closes in the middle of a read: the partial data
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = open("/short")
            local head = assert(sock:receiveuntil("\r\n\r\n")())
            ngx.say(sock:receive(100))
            sock:close()
        }
    }
--- request
GET /t
--- response_body
nilclosedhello
--- no_error_log
[error]



=== TEST 6: a read times out with the partial data
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = open("/short?sleep=1")
            sock:settimeout(300)
            local head = assert(sock:receiveuntil("\r\n\r\n")())
            ngx.say(sock:receive(100))
            sock:close()
        }
    }
--- request
GET /t
--- response_body
niltimeouthello
--- error_log
lua tcp socket read timed out



=== TEST 7: an idle pooled connection the peer closes leaves the pool
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local function fetch()
                local sock = open("/b")
                local head = assert(sock:receiveuntil("\r\n\r\n")())
                assert(sock:receive(5))
                return sock
            end
            local sock = fetch()
            ngx.say("1: ", sock:getreusedtimes())
            assert(sock:setkeepalive(10000))
            sock = fetch()
            ngx.say("2: ", sock:getreusedtimes())
            assert(sock:setkeepalive(10000))
            -- the server's keepalive_timeout (300ms) closes it meanwhile
            ngx.sleep(0.6)
            sock = fetch()
            ngx.say("3: ", sock:getreusedtimes())
            sock:close()
        }
    }
--- request
GET /t
--- response_body
1: 0
2: 1
3: 0
--- no_error_log
[error]



=== TEST 8: ngx.req.socket() reads a big body in small pieces
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            local total, n = 0, 0
            while true do
                local d, err, partial = sock:receive(4096)
                if not d then
                    total = total + #partial
                    ngx.say(err)
                    break
                end
                total = total + #d
                n = n + 1
            end
            ngx.say(total, " ", n)
        }
    }
--- request eval
"POST /t\n" . ("a" x 1048577)
--- response_body
closed
1048577 256
--- no_error_log
[error]



=== TEST 9: ngx.req.socket() reads a body with receiveuntil
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            local it = sock:receiveuntil("--b")
            local a = it()
            local rest = sock:receive("*a")
            ngx.say(#a, " ", rest)
        }
    }
--- request eval
"POST /t\n" . ("a" x 100000) . "--bend"
--- response_body
100000 end
--- no_error_log
[error]



=== TEST 10: the raw socket reads a chunked body with its framing
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket(true))
            local d = assert(sock:receive(15))
            d = d:gsub("\r\n", "|")
            sock:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #d + 1
                      .. "\r\nConnection: close\r\n\r\n" .. d .. "\n")
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Transfer-Encoding: chunked\r
\r
5\r
hello\r
0\r
\r
"
--- response_body
5|hello|0||
--- no_error_log
[error]
