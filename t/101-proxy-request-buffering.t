# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_request_buffering off: the body goes to the upstream as it arrives
# (chunked to an HTTP/1.1 upstream when the client sent chunked, passed through
# with its Content-Length otherwise), no next upstream once body bytes went,
# and client_max_body_size still holds. The backend says whether its handler
# ran well before the body ended (ngx.req.read_body had to wait for it).

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                local h = ngx.req.get_headers()
                ngx.update_time()
                local t0 = ngx.now()
                ngx.req.read_body()
                ngx.update_time()
                ngx.say(ngx.var.request_method,
                        " te=", tostring(h["transfer-encoding"]),
                        " cl=", tostring(h["content-length"]),
                        " body=", ngx.req.get_body_data(),
                        " streamed=", ngx.now() - t0 > 0.3 and "yes" or "no")
            }
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        location / {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.log(ngx.WARN, "backend 2 read the body and hangs up")
                ngx.exit(444)
            }
        }
    }
    upstream flaky {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
};

run_tests();

__DATA__

=== TEST 1: a Content-Length body streams through as it arrives
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world"]
--- raw_request_middle_delay: 0.5
--- response_body
PUT te=nil cl=11 body=hello world streamed=yes
--- no_error_log
[error]



=== TEST 2: buffered (the default): the upstream gets the body at once
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world"]
--- raw_request_middle_delay: 0.5
--- response_body
PUT te=nil cl=11 body=hello world streamed=no
--- no_error_log
[error]



=== TEST 3: a chunked body goes chunked to an HTTP/1.1 upstream
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n"]
--- raw_request_middle_delay: 0.5
--- response_body
POST te=chunked cl=nil body=hello world streamed=yes
--- no_error_log
[error]



=== TEST 4: a chunked body to an HTTP/1.0 upstream is buffered
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n"]
--- raw_request_middle_delay: 0.5
--- response_body
POST te=nil cl=11 body=hello world streamed=no
--- no_error_log
[error]



=== TEST 5: unbuffered: no next upstream once the body went (502)
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_request_buffering off;
        proxy_pass http://flaky;
        log_by_lua_block {
            ngx.log(ngx.WARN, "tried: ", ngx.var.upstream_status)
        }
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world"]
--- raw_request_middle_delay: 0.3
--- wait: 1
--- error_code: 502
--- error_log
backend 2 read the body and hangs up
upstream prematurely closed connection while reading response header from upstream
tried: 502 while logging request



=== TEST 6: buffered: the same failure goes on to the next upstream
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://flaky;
        log_by_lua_block {
            ngx.log(ngx.WARN, "tried: ", ngx.var.upstream_status)
        }
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world"]
--- raw_request_middle_delay: 0.3
--- wait: 1
--- response_body
PUT te=nil cl=11 body=hello world streamed=no
--- error_log
upstream prematurely closed connection while reading response header from upstream
tried: 502, 200 while logging request



=== TEST 7: unbuffered chunked body over client_max_body_size
--- http_config eval: $::HttpConfig
--- config
    location /t {
        client_max_body_size 8;
        proxy_request_buffering off;
        proxy_http_version 1.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n"]
--- raw_request_middle_delay: 0.3
--- error_code: 413
--- error_log
client intended to send too large chunked body: 5+6 bytes



=== TEST 8: unbuffered Content-Length over client_max_body_size
--- http_config eval: $::HttpConfig
--- config
    location /t {
        client_max_body_size 8;
        proxy_request_buffering off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- raw_request eval
["PUT /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello", " world"]
--- raw_request_middle_delay: 0.3
--- error_code: 413
--- error_log
client intended to send too large body: 11 bytes



=== TEST 9: proxy_request_buffering takes on or off
--- config
    location /t {
        proxy_request_buffering maybe;
        proxy_pass http://127.0.0.1:1234;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "maybe" in "proxy_request_buffering" directive, it must be "on" or "off"
