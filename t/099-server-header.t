# vim:set ft= ts=4 sw=4 et fdm=marker:
# A Server header passed from the upstream or set from Lua replaces the
# default one (nginx writes its own only when none is set).

use Test::Nginx::Socket::Lua 'no_plan';
run_tests();
__DATA__

=== TEST 1: proxy_pass_header Server passes the upstream's only
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                ngx.header["Server"] = "backend/1.0"
                ngx.say("hi")
            }
        }
    }
--- config
    location = /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        proxy_pass_header Server;
    }
--- request
GET /t
--- response_headers
Server: backend/1.0
--- response_body
hi



=== TEST 2: ngx.header.Server replaces the default
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["Server"] = "custom"
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
Server: custom
--- response_body
ok
