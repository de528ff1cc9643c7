# vim:set ft= ts=4 sw=4 et fdm=marker:
# Timeouts and retries: a slow peer is left for the next one on timeout,
# proxy_next_upstream_timeout stops retrying.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                ngx.sleep(0.5)
                ngx.say("slow")
            }
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / {
            return 200 "fast\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_4;
        location / {
            content_by_lua_block {
                ngx.header.content_length = 100
                ngx.print("short")
                ngx.flush(true)
                ngx.exit(444)
            }
        }
    }
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
};

run_tests();

__DATA__

=== TEST 1: a read timeout moves to the next peer
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_read_timeout 150ms;
        proxy_pass http://up;
        header_filter_by_lua_block {
            ngx.header["X-Status"] = ngx.var.upstream_status
        }
    }
--- request
GET /t
--- response_body
fast
--- response_headers
X-Status: 504, 200
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream



=== TEST 2: proxy_next_upstream_timeout stops the retries
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_read_timeout 150ms;
        proxy_next_upstream_timeout 100ms;
        proxy_pass http://up;
    }
--- request
GET /t
--- error_code: 504
--- response_body_like: 504 Gateway Time-out
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream



=== TEST 3: proxy_next_upstream error only: a timeout is final
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_read_timeout 150ms;
        proxy_next_upstream error;
        proxy_pass http://up;
    }
--- request
GET /t
--- error_code: 504
--- response_body_like: 504 Gateway Time-out
--- error_log
upstream timed out (110: Connection timed out)



=== TEST 4: upstream closing inside a Content-Length body
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_4;
    }
--- request
GET /t
--- ignore_response
--- error_log
upstream prematurely closed connection while reading upstream
--- no_error_log
[crit]
