# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.get_uri_args / set_uri_args / set_uri: ported from lua-nginx-module
# t/030-uri-args.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: get_uri_args
--- config
    location /lua {
        content_by_lua_block {
            local args = ngx.req.get_uri_args()
            local keys = {}
            for k in pairs(args) do keys[#keys + 1] = k end
            table.sort(keys)
            for _, k in ipairs(args and keys) do
                local v = args[k]
                if type(v) == "table" then
                    ngx.say(k, ": ", table.concat(v, ", "))
                else
                    ngx.say(k, ": ", v)
                end
            end
        }
    }
--- request
GET /lua?a=3&b=4&c&a=5&d=%20x+y
--- response_body
a: 3, 5
b: 4
c: true
d:  x y



=== TEST 2: empty args
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(next(ngx.req.get_uri_args()))
        }
    }
--- request
GET /lua
--- response_body
nil



=== TEST 3: max_args
--- config
    location /lua {
        content_by_lua_block {
            local args, err = ngx.req.get_uri_args(2)
            local n = 0
            for _ in pairs(args) do n = n + 1 end
            ngx.say(n, " ", err)
        }
    }
--- request
GET /lua?a=1&b=2&c=3
--- response_body
2 truncated



=== TEST 4: set_uri_args with a string
--- config
    location /lua {
        rewrite_by_lua_block { ngx.req.set_uri_args("a=3&b=4") }
        content_by_lua_block { ngx.say(ngx.var.args, " ", ngx.var.arg_b) }
    }
--- request
GET /lua?x=1
--- response_body
a=3&b=4 4



=== TEST 5: set_uri_args with a table
--- config
    location /lua {
        content_by_lua_block {
            ngx.req.set_uri_args({ a = 3 })
            ngx.say(ngx.var.args)
            ngx.req.set_uri_args({ b = { "x y", "z" } })
            ngx.say(ngx.var.args)
        }
    }
--- request
GET /lua
--- response_body
a=3
b=x%20y&b=z



=== TEST 6: set_uri without jump
--- config
    location /lua {
        rewrite_by_lua_block { ngx.req.set_uri("/foo") }
        content_by_lua_block { ngx.say("uri: ", ngx.var.uri) }
    }
    location /foo {
        content_by_lua_block { ngx.say("in foo") }
    }
--- request
GET /lua
--- response_body
uri: /foo



=== TEST 7: set_uri with jump
--- config
    location /lua {
        rewrite_by_lua_block { ngx.req.set_uri("/foo", true) }
        content_by_lua_block { ngx.say("uri: ", ngx.var.uri) }
    }
    location /foo {
        content_by_lua_block { ngx.say("in foo: ", ngx.var.uri) }
    }
--- request
GET /lua
--- response_body
in foo: /foo



=== TEST 8: set_uri with jump outside rewrite
--- config
    location /lua {
        content_by_lua_block { ngx.req.set_uri("/foo", true) }
    }
--- request
GET /lua
--- error_code: 500
--- error_log
API disabled in the context of content_by_lua*



=== TEST 9: set_uri with an empty uri
--- config
    location /lua {
        rewrite_by_lua_block { ngx.req.set_uri("") }
    }
--- request
GET /lua
--- error_code: 500
--- error_log
attempt to use zero-length uri



=== TEST 10: decode escaped names
--- config
    location /lua {
        content_by_lua_block {
            local args = ngx.req.get_uri_args()
            ngx.say(args["a b"], " ", args["c"])
        }
    }
--- request
GET /lua?a%20b=1&c=%3d
--- response_body
1 =
