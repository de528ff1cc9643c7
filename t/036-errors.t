# vim:set ft= ts=4 sw=4 et fdm=marker:
# Lua errors, wrong-phase APIs and the global variable guard: ported from
# lua-nginx-module t/003-errors.t, t/014-bugs.t and t/025-codecache.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: runtime error in content_by_lua
--- config
    location /lua {
        content_by_lua_block {
            local a = 1
            error("something bad")
        }
    }
--- request
GET /lua
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log eval
[
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: something bad/,
"stack traceback:",
"in function 'error'",
]



=== TEST 2: error with a table value
--- config
    location /lua {
        content_by_lua_block { error({}) }
    }
--- request
GET /lua
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error: unknown reason



=== TEST 3: error with nil
--- config
    location /lua {
        content_by_lua_block { error() }
    }
--- request
GET /lua
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error: unknown reason



=== TEST 4: error after output: the response is cut
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("hi")
            ngx.flush(true)
            error("late")
        }
    }
--- request
GET /lua
--- ignore_response
--- error_log eval
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):4: late/



=== TEST 5: syntax error in a file
--- config
    location /lua {
        content_by_lua_file html/bad.lua;
    }
--- user_files
>>> bad.lua
local a = = 1
--- request
GET /lua
--- error_code: 500
--- error_log
failed to load external Lua file



=== TEST 6: writing a global
--- config
    location /lua {
        content_by_lua_block {
            foo = 1
            ngx.say("ok")
        }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
writing a global Lua variable ('foo') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables



=== TEST 7: ngx.say in log_by_lua
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.say("x") }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*



=== TEST 8: ngx.redirect in header_filter
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block { ngx.redirect("/foo") }
    }
--- request
GET /lua
--- ignore_response
--- error_log
API disabled in the context of header_filter_by_lua*



=== TEST 9: ngx.exec in body_filter
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        body_filter_by_lua_block { ngx.exec("/foo") }
    }
--- request
GET /lua
--- ignore_response
--- error_log
API disabled in the context of body_filter_by_lua*



=== TEST 10: ngx.req.read_body in log_by_lua
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.req.read_body() }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*



=== TEST 11: ngx.sleep in header_filter
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block { ngx.sleep(1) }
    }
--- request
GET /lua
--- ignore_response
--- error_log
API disabled in the context of header_filter_by_lua*



=== TEST 12: ngx.send_headers in set_by_lua
--- config
    location /lua {
        set_by_lua_block $a { ngx.send_headers() return 1 }
        return 200 "$a";
    }
--- request
GET /lua
--- error_code: 500
--- error_log
API disabled in the context of set_by_lua*



=== TEST 13: error in a required module keeps the file name
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- config
    location /lua {
        content_by_lua_block {
            local m = require "badmod"
            m.go()
        }
    }
--- user_files
>>> badmod.lua
local _M = {}
function _M.go()
    error("in module")
end
return _M
--- request
GET /lua
--- error_code: 500
--- error_log eval
qr/lua entry thread aborted: runtime error: .*badmod\.lua:3: in module/
