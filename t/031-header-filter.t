# vim:set ft= ts=4 sw=4 et fdm=marker:
# header_filter_by_lua*: ported from lua-nginx-module t/041-header-filter.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: set a response header
--- config
    location /read {
        return 200 "hi\n";
        header_filter_by_lua_block { ngx.header.foo = "bar" }
    }
--- request
GET /read
--- response_headers
foo: bar
--- response_body
hi



=== TEST 2: change the status
--- config
    location /read {
        content_by_lua_block { ngx.say("hi") }
        header_filter_by_lua_block { ngx.status = 201 }
    }
--- request
GET /read
--- error_code: 201
--- response_body
hi



=== TEST 3: clear Content-Length when the body changes
--- config
    location /read {
        return 200 "hello";
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
    }
--- request
GET /read
--- response_headers
!Content-Length
--- response_body chop
HELLO



=== TEST 4: ngx.say is disabled
--- config
    location /read {
        return 200 "hi\n";
        header_filter_by_lua_block { ngx.say("no") }
    }
--- request
GET /read
--- ignore_response
--- error_log
API disabled in the context of header_filter_by_lua*



=== TEST 5: runtime error
--- config
    location /read {
        return 200 "hi\n";
        header_filter_by_lua_block { error("bad") }
    }
--- request
GET /read
--- ignore_response
--- error_log eval
qr/failed to run header_filter_by_lua\*: header_filter_by_lua\(nginx\.conf:\d+\):1: bad/



=== TEST 6: header_filter_by_lua_file
--- config
    location /read {
        return 200 "hi\n";
        header_filter_by_lua_file html/h.lua;
    }
--- user_files
>>> h.lua
ngx.header["X-File"] = "yes"
--- request
GET /read
--- response_headers
X-File: yes
--- response_body
hi



=== TEST 7: read response status and headers
--- config
    location /read {
        content_by_lua_block {
            ngx.header["X-A"] = "a"
            ngx.status = 202
            ngx.say("hi")
        }
        header_filter_by_lua_block {
            ngx.header["X-B"] = ngx.header["X-A"] .. ngx.status
        }
    }
--- request
GET /read
--- error_code: 202
--- response_headers
X-B: a202
--- response_body
hi



=== TEST 8: error page passes through the filter
--- config
    location /read {
        return 404;
        header_filter_by_lua_block { ngx.header["X-Err"] = ngx.status }
    }
--- request
GET /read
--- error_code: 404
--- response_headers
X-Err: 404
--- response_body_like: 404 Not Found
