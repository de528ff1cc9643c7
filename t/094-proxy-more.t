# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_pass details: intercept_errors with error_page, buffering off with
# body_filter_by_lua, header_filter_by_lua, variables in proxy_pass,
# rewrite ... break, HEAD, premature close, max_fails.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "uri: \$request_uri\n";
        }
        location /missing {
            return 404 "backend 404\n";
        }
        location /echo {
            return 200 "ph: \$http_x_ph, ff: \$http_x_ff, check: \$http_x_check\n";
        }
        location /big {
            content_by_lua_block {
                ngx.header["X-Big"] = string.rep("a", 5000)
                ngx.say("big")
            }
        }
        location /accel {
            add_header X-Accel-Redirect /protected/file?k=v;
            return 200 "should not be seen\n";
        }
        location /named {
            add_header X-Accel-Redirect @named;
            return 200 "should not be seen\n";
        }
        location /refresh {
            add_header Refresh "5; url=http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1/next";
            return 200 "refresh\n";
        }
        location /close {
            return 444;
        }
        location /stream {
            content_by_lua_block {
                ngx.say("part 1")
                ngx.flush(true)
                ngx.sleep(0.3)
                ngx.say("part 2")
            }
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / {
            return 200 "backend 3\n";
        }
    }
    upstream backend {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
};

run_tests();

__DATA__

=== TEST 1: proxy_intercept_errors hands a 404 to error_page
--- http_config eval: $::HttpConfig
--- config
    location /missing {
        proxy_intercept_errors on;
        error_page 404 /nf;
        proxy_pass http://backend;
    }
    location = /nf {
        content_by_lua_block {
            ngx.say("intercepted")
        }
    }
--- request
GET /missing
--- error_code: 404
--- response_body
intercepted
--- no_error_log
[error]



=== TEST 2: without proxy_intercept_errors the upstream 404 body is passed
--- http_config eval: $::HttpConfig
--- config
    location /missing {
        error_page 404 /nf;
        proxy_pass http://backend;
    }
    location = /nf {
        return 200 "intercepted\n";
    }
--- request
GET /missing
--- error_code: 404
--- response_body
backend 404
--- no_error_log
[error]



=== TEST 3: proxy_buffering off passes each upstream chunk to body filters
--- http_config eval: $::HttpConfig
--- config
    location /stream {
        proxy_buffering off;
        proxy_http_version 1.1;
        proxy_pass http://backend;
        body_filter_by_lua_block {
            if ngx.arg[1] ~= "" then
                ngx.log(ngx.WARN, "chunk: ", (ngx.arg[1]:gsub("\n", "|")))
            end
        }
    }
--- request
GET /stream
--- response_body
part 1
part 2
--- grep_error_log eval: qr/chunk: part \d\|/
--- grep_error_log_out
chunk: part 1|
chunk: part 2|



=== TEST 4: header_filter_by_lua sees the proxied status and headers
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://backend;
        header_filter_by_lua_block {
            ngx.header["X-Seen"] = ngx.status .. " " .. ngx.header.content_type
        }
    }
--- request
GET /t
--- response_headers
X-Seen: 200 text/plain
--- response_body
uri: /t



=== TEST 5: proxy_pass with variables and an IP literal
--- http_config eval: $::HttpConfig
--- config
    location /t {
        set $port $TEST_NGINX_RAND_PORT_1;
        proxy_pass http://127.0.0.1:$port;
    }
--- request
GET /t?x=y
--- response_body
uri: /t?x=y
--- no_error_log
[error]



=== TEST 6: proxy_pass with variables naming an upstream, URI passed as is
--- http_config eval: $::HttpConfig
--- config
    location /t {
        set $up backend;
        proxy_pass http://$up/fixed$is_args$args;
    }
--- request
GET /t/whatever?q=1
--- response_body
uri: /fixed?q=1
--- no_error_log
[error]



=== TEST 7: proxy_pass with a variable host name and no resolver
--- http_config eval: $::HttpConfig
--- config
    location /t {
        set $h no.such.host.example;
        proxy_pass http://$h;
    }
--- request
GET /t
--- error_code: 502
--- error_log
no resolver defined to resolve no.such.host.example
--- response_body_like: 502 Bad Gateway



=== TEST 8: rewrite ... break passes the changed URI
--- http_config eval: $::HttpConfig
--- config
    location /t/ {
        rewrite ^/t/(.*)$ /changed/$1 break;
        proxy_pass http://backend/ignored/;
    }
--- request
GET /t/abc?k=v
--- response_body
uri: /changed/abc?k=v
--- no_error_log
[error]



=== TEST 9: proxy_pass inside a regex location passes the request URI
--- http_config eval: $::HttpConfig
--- config
    location ~ ^/re(.*)$ {
        proxy_pass http://backend;
    }
--- request
GET /regex/x
--- response_body
uri: /regex/x
--- no_error_log
[error]



=== TEST 10: HEAD is proxied without a body
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://backend;
    }
--- request
HEAD /t
--- response_body
--- response_headers
Content-Type: text/plain



=== TEST 11: upstream closing without a response gives 502
--- http_config eval: $::HttpConfig
--- config
    location /close {
        proxy_pass http://backend;
    }
--- request
GET /close
--- error_code: 502
--- error_log
upstream prematurely closed connection while reading response header from upstream
--- response_body_like: 502 Bad Gateway



=== TEST 12: max_fails=1 takes a refused peer out for fail_timeout
--- http_config eval
$::HttpConfig . qq{
    upstream flaky {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 max_fails=1 fail_timeout=30s;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        proxy_pass http://flaky;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["backend 3\n", "backend 3\n", "backend 3\n"]
--- grep_error_log eval: qr/connect\(\) failed|upstream server temporarily disabled/
--- grep_error_log_out
connect() failed
upstream server temporarily disabled



=== TEST 13: $proxy_host and $proxy_add_x_forwarded_for
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/echo;
        proxy_set_header X-PH $proxy_host;
        proxy_set_header X-FF $proxy_add_x_forwarded_for;
        proxy_set_header X-Check "";
    }
--- request
GET /t
--- more_headers
X-Forwarded-For: 10.0.0.1
X-Check: dropped
--- response_body_like
^ph: 127\.0\.0\.1:\d+, ff: 10\.0\.0\.1, 127\.0\.0\.1, check: $
--- no_error_log
[error]



=== TEST 14: proxy_pass inside if
--- http_config eval: $::HttpConfig
--- config
    location /t {
        if ($arg_go) {
            proxy_pass http://backend;
        }
        content_by_lua_block {
            ngx.say("not proxied")
        }
    }
--- request eval
["GET /t?go=1", "GET /t"]
--- response_body eval
["uri: /t?go=1\n", "not proxied\n"]
--- no_error_log
[error]



=== TEST 15: a head larger than proxy_buffer_size gives 502
--- http_config eval: $::HttpConfig
--- config
    location /big {
        proxy_pass http://backend;
    }
--- request
GET /big
--- error_code: 502
--- error_log
upstream sent too big header while reading response header from upstream
--- response_body_like: 502 Bad Gateway



=== TEST 16: a larger proxy_buffer_size takes it
--- http_config eval: $::HttpConfig
--- config
    location /big {
        proxy_buffer_size 8k;
        proxy_pass http://backend;
    }
--- request
GET /big
--- response_body
big
--- no_error_log
[error]



=== TEST 17: X-Accel-Redirect from the upstream redirects internally
--- http_config eval: $::HttpConfig
--- config
    location /accel {
        proxy_pass http://backend;
    }
    location /named {
        proxy_pass http://backend;
    }
    location /protected/ {
        internal;
        return 200 "internal $uri $args\n";
    }
    location @named {
        return 200 "named location\n";
    }
--- request eval
["GET /accel", "GET /named"]
--- response_body eval
["internal /protected/file k=v\n", "named location\n"]
--- no_error_log
[error]



=== TEST 18: proxy_ignore_headers X-Accel-Redirect passes the response
--- http_config eval: $::HttpConfig
--- config
    location /accel {
        proxy_ignore_headers X-Accel-Redirect;
        proxy_pass http://backend;
    }
--- request
GET /accel
--- response_body
should not be seen
--- no_error_log
[error]



=== TEST 19: ngx.req.set_header and set_uri in rewrite_by_lua reach the upstream
--- http_config eval: $::HttpConfig
--- config
    location /t {
        rewrite_by_lua_block {
            ngx.req.set_header("X-PH", "from lua")
            ngx.req.set_uri("/echo")
        }
        proxy_pass http://backend;
    }
--- request
GET /t
--- response_body_like
^ph: from lua, ff: , check: $
--- no_error_log
[error]



=== TEST 20: log_by_lua sees $upstream_addr and $upstream_response_time
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://backend;
        log_by_lua_block {
            ngx.log(ngx.WARN, "log: ", ngx.var.upstream_addr, " ",
                    ngx.var.upstream_status, " ",
                    ngx.var.upstream_response_time)
        }
    }
--- request
GET /t
--- response_body
uri: /t
--- error_log eval
qr/log: 127\.0\.0\.1:\d+ 200 \d+\.\d{3}/



=== TEST 21: proxy_redirect rewrites the url= part of Refresh
--- http_config eval: $::HttpConfig
--- config
    location /refresh {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /refresh
--- response_headers
Refresh: 5; url=/next
--- no_error_log
[error]
