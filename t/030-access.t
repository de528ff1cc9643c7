# vim:set ft= ts=4 sw=4 et fdm=marker:
# access_by_lua*: ported from lua-nginx-module t/024-access/*.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: basic print
--- config
    location /lua {
        access_by_lua_block { ngx.print("Hello, Lua!\n") }
        content_by_lua_block { ngx.say("not reached") }
    }
--- request
GET /lua
--- response_body
Hello, Lua!



=== TEST 2: deny
--- config
    location /lua {
        access_by_lua_block {
            if ngx.var.arg_user ~= "agentzh" then
                ngx.exit(ngx.HTTP_FORBIDDEN)
            end
        }
        content_by_lua_block { ngx.say("welcome") }
    }
--- request
GET /lua?user=foo
--- error_code: 403
--- response_body_like: 403 Forbidden



=== TEST 3: allow
--- config
    location /lua {
        access_by_lua_block {
            if ngx.var.arg_user ~= "agentzh" then
                ngx.exit(ngx.HTTP_FORBIDDEN)
            end
        }
        content_by_lua_block { ngx.say("welcome") }
    }
--- request
GET /lua?user=agentzh
--- response_body
welcome



=== TEST 4: runs after allow/deny
--- config
    location /lua {
        deny all;
        access_by_lua_block { ngx.log(ngx.ERR, "access_by_lua ran") }
        content_by_lua_block { ngx.say("welcome") }
    }
--- request
GET /lua
--- error_code: 403
--- no_error_log
access_by_lua ran



=== TEST 5: access_by_lua_file
--- config
    location /lua {
        access_by_lua_file html/a.lua;
        content_by_lua_block { ngx.say(ngx.ctx.a) }
    }
--- user_files
>>> a.lua
ngx.ctx.a = "file"
--- request
GET /lua
--- response_body
file



=== TEST 6: ngx.exec in access
--- config
    location /lua {
        access_by_lua_block { ngx.exec("/target") }
    }
    location /target {
        content_by_lua_block { ngx.say("target") }
    }
--- request
GET /lua
--- response_body
target



=== TEST 7: error in access
--- config
    location /lua {
        access_by_lua_block { local a = nil; a.b = 1 }
        content_by_lua_block { ngx.say("no") }
    }
--- request
GET /lua
--- error_code: 500
--- error_log eval
qr/lua entry thread aborted: runtime error: access_by_lua\(nginx\.conf:\d+\):1: attempt to index local 'a' \(a nil value\)/
