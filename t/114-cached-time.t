# vim:set ft= ts=4 sw=4 et fdm=marker:
# The worker's cached time (ngx_time_update): nginx refreshes it each time epoll_wait
# returns, so a request sees the time its bytes arrived, even on a connection that was
# idle, and $upstream_response_time measures from the upstream's bytes.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: ngx.now() and ngx.req.start_time() are the arrival time of each request on a kept-alive connection after idle gaps
--- config
    location = /t {
        content_by_lua_block {
            local cached, start = ngx.now(), ngx.req.start_time()
            ngx.update_time()
            local now = ngx.now()
            if now - cached > 0.01 or now - start > 0.01 then
                ngx.log(ngx.ERR, "stale time: ngx.now() ", now - cached,
                        " s behind, start_time ", now - start, " s behind")
            end
            ngx.log(ngx.WARN, "request at ", ngx.var.connection_requests)
            ngx.print("ok ", ngx.var.connection_requests, "\n")
        }
    }
--- raw_request eval
["GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.13
--- response_body_like: ok 1
--- grep_error_log eval: qr/request at \d+/
--- grep_error_log_out
request at 1
request at 2
request at 3
request at 4
--- no_error_log
stale time



=== TEST 2: $request_time of a kept-alive request after an idle gap counts from its arrival
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.print("ok\n")
        }
        log_by_lua_block {
            local t = tonumber(ngx.var.request_time)
            if t < 0.045 or t > 0.07 then
                ngx.log(ngx.ERR, "request_time off: ", t)
            end
            ngx.log(ngx.WARN, "logged ", ngx.var.connection_requests)
        }
    }
--- raw_request eval
["GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.13
--- response_body_like: ok
--- grep_error_log eval: qr/logged \d+/
--- grep_error_log_out
logged 1
logged 2
logged 3
logged 4
--- no_error_log
request_time off



=== TEST 3: $upstream_response_time of a kept-alive request after an idle gap counts from its arrival
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                ngx.sleep(0.05)
                ngx.print("backend\n")
            }
        }
    }
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        keepalive 4;
    }
--- config
    location = /t {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://backend;
        log_by_lua_block {
            local t = tonumber(ngx.var.upstream_response_time)
            if t < 0.045 or t > 0.07 then
                ngx.log(ngx.ERR, "upstream_response_time off: ", t)
            end
            ngx.log(ngx.WARN, "upstream took ", ngx.var.upstream_response_time)
        }
    }
--- raw_request eval
["GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n",
 "GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.13
--- response_body_like: backend
--- grep_error_log eval: qr/upstream took [\d.]+/
--- grep_error_log_out eval
qr/\A(upstream took [\d.]+\n){4}\z/
--- no_error_log
upstream_response_time off



=== TEST 4: ngx.now() after a cosocket receive is the time the reply arrived
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
            if not ok then
                ngx.say("connect: ", err)
                return
            end
            local t0 = ngx.now()
            sock:send("ping\n")
            local line, err = sock:receive()
            local waited = ngx.now() - t0
            ngx.update_time()
            local behind = ngx.now() - (t0 + waited)
            ngx.say(line, " waited ", (waited >= 0.055 and waited < 0.3) and "60 ms" or waited)
            if behind > 0.01 then
                ngx.log(ngx.ERR, "stale after receive: ", behind, " s behind")
            end
            sock:close()
        }
    }
--- request
GET /t
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query_len: 5
--- tcp_reply_delay: 60ms
--- tcp_reply eval
"pong\n"
--- response_body
pong waited 60 ms
--- no_error_log
[error]
