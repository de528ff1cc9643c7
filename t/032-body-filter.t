# vim:set ft= ts=4 sw=4 et fdm=marker:
# body_filter_by_lua*: ported from lua-nginx-module t/082-body-filter.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: upper case the body
--- config
    location /t {
        content_by_lua_block { ngx.say("hello") ngx.say("world") }
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
    }
--- request
GET /t
--- response_body
HELLO
WORLD



=== TEST 2: eof flag
--- config
    location /t {
        content_by_lua_block { ngx.say("a") ngx.say("b") }
        body_filter_by_lua_block {
            if ngx.arg[2] then
                ngx.arg[1] = ngx.arg[1] .. "eof\n"
            end
        }
    }
--- request
GET /t
--- response_body
a
b
eof



=== TEST 3: truncate with ngx.arg[2] = true
--- config
    location /t {
        content_by_lua_block { ngx.say("a") ngx.say("b") ngx.say("c") }
        body_filter_by_lua_block {
            if ngx.arg[1] == "b\n" then
                ngx.arg[2] = true
            end
        }
    }
--- request
GET /t
--- response_body
a
b



=== TEST 4: drop chunks with nil
--- config
    location /t {
        content_by_lua_block { ngx.say("a") ngx.say("b") }
        body_filter_by_lua_block {
            if ngx.arg[1] == "a\n" then ngx.arg[1] = nil end
        }
    }
--- request
GET /t
--- response_body
b



=== TEST 5: static body
--- config
    location /t {
        return 200 "static\n";
        header_filter_by_lua_block { ngx.header.content_length = nil }
        body_filter_by_lua_block { ngx.arg[1] = ngx.arg[1]:gsub("static", "dynamic") }
    }
--- request
GET /t
--- response_body
dynamic



=== TEST 6: error in body filter
--- config
    location /t {
        content_by_lua_block { ngx.say("a") }
        body_filter_by_lua_block { error("oops") }
    }
--- request
GET /t
--- ignore_response
--- error_log eval
qr/failed to run body_filter_by_lua\*: body_filter_by_lua\(nginx\.conf:\d+\):1: oops/



=== TEST 7: ngx.exit is disabled
--- config
    location /t {
        content_by_lua_block { ngx.say("a") }
        body_filter_by_lua_block {
            local ok, err = pcall(ngx.exit, 200)
            if not ok then ngx.log(ngx.ERR, "exit: ", err) end
        }
    }
--- request
GET /t
--- response_body
a
--- error_log
exit: API disabled in the context of body_filter_by_lua*



=== TEST 8: ngx.arg[1] with a table
--- config
    location /t {
        content_by_lua_block { ngx.say("a") }
        body_filter_by_lua_block {
            if ngx.arg[1] ~= "" then ngx.arg[1] = {"x", "y", "\n"} end
        }
    }
--- request
GET /t
--- response_body
xy



=== TEST 9: bad ngx.arg[1] value
--- config
    location /t {
        content_by_lua_block { ngx.say("a") }
        body_filter_by_lua_block { ngx.arg[1] = true }
    }
--- request
GET /t
--- ignore_response
--- error_log
bad chunk data type: boolean
