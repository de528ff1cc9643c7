# vim:set ft= ts=4 sw=4 et fdm=marker:
# rewrite_by_lua*: ported from lua-nginx-module t/023-rewrite/*.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: basic print
--- config
    location /lua {
        rewrite_by_lua_block { ngx.print("Hello, Lua!\n") }
        content_by_lua_block { ngx.say("not reached") }
    }
--- request
GET /lua
--- response_body
Hello, Lua!



=== TEST 2: fall through to content
--- config
    location /lua {
        rewrite_by_lua_block { ngx.var.v = "rewritten" }
        set $v "";
        content_by_lua_block { ngx.say(ngx.var.v) }
    }
--- request
GET /lua
--- response_body
rewritten



=== TEST 3: runs after the rewrite module
--- config
    location /lua {
        set $a 1;
        rewrite_by_lua_block { ngx.var.a = ngx.var.a + 1 }
        set $a 56;
        content_by_lua_block { ngx.say(ngx.var.a) }
    }
--- request
GET /lua
--- response_body
57



=== TEST 4: rewrite_by_lua_file
--- config
    location /lua {
        rewrite_by_lua_file html/r.lua;
        content_by_lua_block { ngx.say(ngx.ctx.r) }
    }
--- user_files
>>> r.lua
ngx.ctx.r = "from file"
--- request
GET /lua
--- response_body
from file



=== TEST 5: ngx.sleep in rewrite
--- config
    location /lua {
        rewrite_by_lua_block { ngx.sleep(0.01) ngx.ctx.s = "slept" }
        content_by_lua_block { ngx.say(ngx.ctx.s) }
    }
--- request
GET /lua
--- response_body
slept



=== TEST 6: rewrite ngx.exit(ngx.OK) goes on to content
--- config
    location /lua {
        rewrite_by_lua_block { ngx.exit(ngx.OK) }
        content_by_lua_block { ngx.say("content") }
    }
--- request
GET /lua
--- response_body
content



=== TEST 7: rewrite with a static content handler
--- config
    location /lua {
        rewrite_by_lua_block { ngx.req.set_uri("/hello.txt", true) }
    }
--- user_files
>>> hello.txt
hello from file
--- request
GET /lua
--- response_body
hello from file



=== TEST 8: error in rewrite
--- config
    location /lua {
        rewrite_by_lua_block { error("bad") }
        content_by_lua_block { ngx.say("no") }
    }
--- request
GET /lua
--- error_code: 500
--- error_log eval
qr/lua entry thread aborted: runtime error: rewrite_by_lua\(nginx\.conf:\d+\):1: bad/



=== TEST 9: in location if
--- config
    location /lua {
        if ($arg_a) {
            rewrite_by_lua_block { ngx.ctx.w = "in if" }
        }
        content_by_lua_block { ngx.say(ngx.ctx.w) }
    }
--- request
GET /lua?a=1
--- response_body
in if
