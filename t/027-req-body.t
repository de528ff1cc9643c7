# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.read_body / get_body_data / get_post_args / set_body_data:
# ported from lua-nginx-module t/044-req-body.t and t/031-post-args.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: read buffered body
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.var.request_body)
        }
    }
--- request
POST /test
hello, world
--- response_body
hello, world



=== TEST 2: get_body_data
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
POST /test
hello, world
--- response_body
hello, world



=== TEST 3: no body
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
GET /test
--- response_body
nil



=== TEST 4: get_post_args
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.read_body()
            local args = ngx.req.get_post_args()
            ngx.say("a: ", args.a)
            ngx.say("b: ", table.concat(args.b, ","))
            ngx.say("c: ", args.c)
        }
    }
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- request
POST /test
a=3&b=4&b=%20x&c
--- response_body
a: 3
b: 4, x
c: true



=== TEST 5: get_post_args without read_body
--- config
    location = /test {
        content_by_lua_block {
            local args, err = ngx.req.get_post_args()
            ngx.say(args, " ", err)
        }
    }
--- request
POST /test
a=3
--- error_code: 500
--- error_log
no request body found; maybe you should turn on lua_need_request_body?



=== TEST 6: get_post_args max_args
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.read_body()
            local args, err = ngx.req.get_post_args(1)
            ngx.say(args.a, " ", args.b, " ", err)
        }
    }
--- request
POST /test
a=1&b=2
--- response_body
1 nil truncated



=== TEST 7: set_body_data
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.req.set_body_data("new body")
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
POST /test
old
--- response_body
new body



=== TEST 8: discard_body
--- config
    location = /test {
        content_by_lua_block {
            ngx.req.discard_body()
            ngx.say("ok")
        }
    }
--- request
POST /test
abc
--- response_body
ok



=== TEST 9: read_body in header_filter
--- config
    location = /test {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            local ok, err = pcall(ngx.req.read_body)
            ngx.log(ngx.ERR, "read_body: ", err)
        }
    }
--- request
GET /test
--- response_body
ok
--- error_log
read_body: API disabled in the context of header_filter_by_lua*



=== TEST 10: read body in rewrite then use it in content
--- config
    location = /test {
        rewrite_by_lua_block { ngx.req.read_body() }
        content_by_lua_block { ngx.say(ngx.req.get_body_data()) }
    }
--- request
POST /test
rewrite body
--- response_body
rewrite body
