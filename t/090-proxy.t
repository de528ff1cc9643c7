# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_pass to an address and to an upstream: URI rules, headers both ways,
# length and chunked bodies, 502 and 504.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                ngx.header["X-Backend-Uri"] = ngx.var.request_uri
                ngx.say("backend 1 ", ngx.var.request_method, " ",
                        ngx.var.request_uri)
            }
        }
        location /len {
            return 200 "fixed length";
        }
        location /hdr {
            content_by_lua_block {
                ngx.header["X-Foo"] = "bar"
                ngx.header["X-Accel-Expires"] = "10"
                ngx.say("host: ", ngx.var.http_host)
                ngx.say("connection: ", ngx.var.http_connection)
                ngx.say("x-client: ", ngx.var.http_x_client)
                ngx.say("x-set: ", ngx.var.http_x_set)
            }
        }
        location /body {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.say("got: ", ngx.req.get_body_data())
            }
        }
        location /slow {
            content_by_lua_block {
                ngx.sleep(1)
                ngx.say("slow")
            }
        }
        location /redir {
            return 302 http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1/somewhere;
        }
    }
    upstream backend {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
};

run_tests();

__DATA__

=== TEST 1: proxy_pass to host:port without URI passes the request URI
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /t/a%20b?x=1
--- response_body
backend 1 GET /t/a%20b?x=1
--- no_error_log
[error]



=== TEST 2: proxy_pass with a URI part replaces the location prefix
--- http_config eval: $::HttpConfig
--- config
    location /t/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/other/;
    }
--- request
GET /t/foo?a=b
--- response_body
backend 1 GET /other/foo?a=b
--- no_error_log
[error]



=== TEST 3: proxy_pass to an upstream block
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://backend;
    }
--- request
GET /t
--- response_body
backend 1 GET /t
--- no_error_log
[error]



=== TEST 4: Content-Length response is passed with its length
--- http_config eval: $::HttpConfig
--- config
    location /len {
        proxy_pass http://backend;
    }
--- request
GET /len
--- response_body chomp
fixed length
--- response_headers
Content-Length: 12



=== TEST 5: chunked upstream response (HTTP/1.1) is relayed
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_http_version 1.1;
        proxy_pass http://backend;
    }
--- request
GET /t
--- response_body
backend 1 GET /t
--- no_error_log
[error]



=== TEST 6: default request headers and proxy_set_header
--- http_config eval: $::HttpConfig
--- config
    location /hdr {
        proxy_set_header X-Set "from proxy";
        proxy_pass http://backend;
    }
--- request
GET /hdr
--- more_headers
X-Client: yes
--- response_body
host: backend
connection: close
x-client: yes
x-set: from proxy
--- no_error_log
[error]



=== TEST 7: proxy_set_header Host and proxy_pass_request_headers off
--- http_config eval: $::HttpConfig
--- config
    location /hdr {
        proxy_set_header Host "example.com";
        proxy_pass_request_headers off;
        proxy_pass http://backend;
    }
--- request
GET /hdr
--- more_headers
X-Client: yes
--- response_body
host: example.com
connection: close
x-client: nil
x-set: nil
--- no_error_log
[error]



=== TEST 8: response headers pass, X-Accel-* hidden, proxy_hide_header
--- http_config eval: $::HttpConfig
--- config
    location /hdr {
        proxy_hide_header X-Backend-Uri;
        proxy_pass http://backend;
    }
--- request
GET /hdr
--- response_headers
X-Foo: bar
X-Accel-Expires:
--- no_error_log
[error]



=== TEST 9: request body is passed
--- http_config eval: $::HttpConfig
--- config
    location /body {
        proxy_pass http://backend;
    }
--- request
POST /body
hello body
--- response_body
got: hello body
--- no_error_log
[error]



=== TEST 10: connection refused gives 502 and nginx's log line
--- http_config
--- config
    location /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2;
    }
--- request
GET /t
--- error_code: 502
--- error_log eval
qr/\[error\] .*connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:\d+\/t", host: "localhost"/
--- response_body_like: 502 Bad Gateway



=== TEST 11: proxy_read_timeout gives 504
--- http_config eval: $::HttpConfig
--- config
    location /slow {
        proxy_read_timeout 200ms;
        proxy_pass http://backend;
    }
--- request
GET /slow
--- error_code: 504
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream
--- response_body_like: 504 Gateway Time-out



=== TEST 12: proxy_redirect default rewrites Location
--- http_config eval: $::HttpConfig
--- config
    location /redir {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /redir
--- error_code: 302
--- response_headers_like
Location: http://localhost:\d+/somewhere
--- no_error_log
[error]



=== TEST 13: proxy_redirect off keeps Location
--- http_config eval: $::HttpConfig
--- config
    location /redir {
        proxy_redirect off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /redir
--- error_code: 302
--- response_headers_like
Location: http://127\.0\.0\.1:\d+/somewhere
--- no_error_log
[error]



=== TEST 14: proxy_pass with a URI part is refused in a regex location
--- http_config
--- config
    location ~ ^/t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/x;
    }
--- request
GET /t
--- must_die
--- error_log
"proxy_pass" cannot have URI part in location given by regular expression
