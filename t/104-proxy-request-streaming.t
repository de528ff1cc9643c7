# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_request_buffering off streams the body for real: bytes forwarded
# upstream are not kept ($request_body is empty), client_body_timeout runs
# between client reads, proxy_send_timeout while the upstream does not read,
# and an upstream that hangs up or bad client framing end the request as in
# nginx. The memory bound itself is measured by bench/tools/stream_upload.py.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('info');

plan tests => repeat_each() * (blocks() * 3 + 1);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        client_max_body_size 0;
        location / {
            content_by_lua_block {
                if ngx.var.http_transfer_encoding then
                    ngx.req.read_body()
                    local data = ngx.req.get_body_data() or ""
                    ngx.say("backend got ", #data, " bytes")
                    return
                end
                local sock = ngx.req.socket()
                local n = 0
                while true do
                    local data, err, partial = sock:receive(65536)
                    if not data then
                        n = n + #(partial or "")
                        break
                    end
                    n = n + #data
                end
                ngx.say("backend got ", n, " bytes")
            }
        }
    }
};

run_tests();

__DATA__

=== TEST 1: a 4 MB body streams through, and $request_body stays empty
--- http_config eval: $::HttpConfig
--- config
    location /t {
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        log_by_lua_block {
            ngx.log(ngx.WARN, "request_body: ", tostring(ngx.var.request_body),
                    " body_data: ", tostring(ngx.req.get_body_data()))
        }
    }
--- raw_request eval
"PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 4194304\r\n\r\n" . ("x" x 4194304)
--- response_body
backend got 4194304 bytes
--- wait: 0.3
--- error_log
request_body: nil body_data: nil



=== TEST 2: client_body_timeout between reads: the client stalls mid-body
--- http_config eval: $::HttpConfig
--- config
    location /t {
        client_body_timeout 300ms;
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        log_by_lua_block {
            ngx.log(ngx.WARN, "logged status: ", ngx.status)
        }
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhel", "lo"]
--- raw_request_middle_delay: 0.2
--- timeout: 2
--- ignore_response
--- error_log
logged status: 408
--- no_error_log
client timed out



=== TEST 3: bad chunked framing after part of the body went upstream
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "zz\r\nbad\r\n0\r\n\r\n"]
--- raw_request_middle_delay: 0.3
--- error_code: 400
--- error_log
client sent invalid chunked body while sending request to upstream



=== TEST 4: bytes past Content-Length are not part of the body
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world and more"]
--- raw_request_middle_delay: 0.3
--- response_body
backend got 11 bytes
--- no_error_log
[error]



=== TEST 5: proxy_send_timeout: the upstream stops reading mid-body (504)
--- config
    location /t {
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_send_timeout 500ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_3;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_3
--- tcp_query_len: 10
--- tcp_no_close
--- raw_request eval
"PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 33554432\r\n\r\n" . ("x" x 33554432)
--- timeout: 5
--- ignore_response
--- error_log
upstream timed out (110: Connection timed out) while sending request to upstream



=== TEST 6: the upstream hangs up in the middle of the body (502)
The mock reads the 67 bytes of the head and "hello", then closes.
--- config
    location /t {
        proxy_request_buffering off;
        proxy_set_header Host x;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_3;
        log_by_lua_block {
            ngx.log(ngx.WARN, "logged status: ", ngx.status)
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_3
--- tcp_query_len: 72
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world"]
--- raw_request_middle_delay: 0.5
--- error_code: 502
--- wait: 0.3
--- error_log
upstream prematurely closed connection while reading response header from upstream
logged status: 502



=== TEST 7: a buffered body times out the same way: no response, 408 logged
--- config
    location /t {
        client_body_timeout 300ms;
        content_by_lua_block { ngx.req.read_body() ngx.say("read") }
        log_by_lua_block {
            ngx.log(ngx.WARN, "logged status: ", ngx.status)
        }
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhel", "lo"]
--- raw_request_middle_delay: 0.2
--- timeout: 2
--- ignore_response
--- error_log
logged status: 408
--- no_error_log
client timed out



=== TEST 8: the client goes away in the middle of a streamed body
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        log_by_lua_block {
            ngx.log(ngx.WARN, "logged status: ", ngx.status)
        }
    }
--- raw_request eval
"PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhel"
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 1.5
--- error_log
logged status: 400
client prematurely closed connection while sending request to upstream



=== TEST 9: a body that waits for a slow access phase still streams whole
The connection holds a body nobody asked for yet at client_body_buffer_size.
--- http_config eval: $::HttpConfig
--- config
    location /t {
        client_max_body_size 0;
        access_by_lua_block { ngx.sleep(0.3) }
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
"PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 1048576\r\n\r\n" . ("x" x 1048576)
--- response_body
backend got 1048576 bytes
--- no_error_log
[error]



=== TEST 10: a held body is read in full once Lua asks for it
--- config
    location /t {
        client_max_body_size 0;
        client_body_buffer_size 2m;
        content_by_lua_block {
            ngx.sleep(0.3)
            ngx.req.read_body()
            ngx.say("read ", #(ngx.req.get_body_data() or ""), " bytes")
        }
    }
--- raw_request eval
"PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 1048576\r\n\r\n" . ("x" x 1048576)
--- response_body
read 1048576 bytes
--- no_error_log
[error]
