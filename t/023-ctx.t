# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.ctx: ported from lua-nginx-module t/033-ctx.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: sanity
--- config
    location /lua {
        content_by_lua_block {
            ngx.ctx.foo = 32
            ngx.say(ngx.ctx.foo)
        }
    }
--- request
GET /lua
--- response_body
32



=== TEST 2: rewrite, access and content share ctx
--- config
    location /lua {
        rewrite_by_lua_block { ngx.ctx.foo = 76 }
        access_by_lua_block { ngx.ctx.foo = ngx.ctx.foo + 3 }
        content_by_lua_block { ngx.say(ngx.ctx.foo) }
    }
--- request
GET /lua
--- response_body
79



=== TEST 3: ctx reaches header_filter, body_filter and log
--- config
    location /lua {
        content_by_lua_block {
            ngx.ctx.n = 1
            ngx.say("hi")
        }
        header_filter_by_lua_block { ngx.header.n = ngx.ctx.n }
        body_filter_by_lua_block { ngx.ctx.seen = true }
        log_by_lua_block { ngx.log(ngx.WARN, "ctx: ", ngx.ctx.n, " ", ngx.ctx.seen) }
    }
--- request
GET /lua
--- response_headers
n: 1
--- response_body
hi
--- error_log
ctx: 1 true



=== TEST 4: ngx.ctx is per request
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(ngx.ctx.foo)
            ngx.ctx.foo = "set"
        }
    }
--- pipelined_requests eval
["GET /lua", "GET /lua"]
--- response_body eval
["nil\n", "nil\n"]



=== TEST 5: overriding ctx with a table
--- config
    location /lua {
        content_by_lua_block {
            ngx.ctx = { foo = "bar" }
            ngx.say(ngx.ctx.foo)
        }
    }
--- request
GET /lua
--- response_body
bar



=== TEST 6: overriding ctx with a non-table
--- config
    location /lua {
        content_by_lua_block {
            ngx.ctx = 32
        }
    }
--- request
GET /lua
--- error_code: 500
--- error_log
ctx should be a table while getting a number



=== TEST 7: ngx.ctx lost by ngx.exec
--- config
    location /lua {
        rewrite_by_lua_block {
            ngx.ctx.foo = 1
            ngx.exec("/target")
        }
    }
    location /target {
        content_by_lua_block { ngx.say("foo: ", ngx.ctx.foo) }
    }
--- request
GET /lua
--- response_body
foo: nil



=== TEST 8: ngx.ctx in set_by_lua
--- config
    location /lua {
        set_by_lua_block $a { ngx.ctx.x = "from set" return 1 }
        content_by_lua_block { ngx.say(ngx.ctx.x) }
    }
--- request
GET /lua
--- response_body
from set
