# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.*_header(s): ported from lua-nginx-module t/028-req-header.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: set request header at client side
--- config
    location /req-header {
        content_by_lua_block {
            ngx.say("Foo: ", ngx.req.get_headers()["Foo"] or "nil")
            ngx.say("foo: ", ngx.req.get_headers()["foo"] or "nil")
            ngx.say("Bar: ", ngx.req.get_headers()["bar"] or "nil")
        }
    }
--- request
GET /req-header
--- more_headers
Foo: bar
Bar: baz
--- response_body
Foo: bar
foo: bar
Bar: baz



=== TEST 2: multiple values become a table
--- config
    location /req-header {
        content_by_lua_block {
            local v = ngx.req.get_headers()["foo"]
            ngx.say(type(v), " ", v[1], " ", v[2])
        }
    }
--- request
GET /req-header
--- more_headers
Foo: a
Foo: b
--- response_body
table a b



=== TEST 3: set_header then read through ngx.var
--- config
    location /req-header {
        rewrite_by_lua_block {
            ngx.req.set_header("X-Foo", "new")
        }
        content_by_lua_block {
            ngx.say(ngx.var.http_x_foo, " ", ngx.req.get_headers()["x-foo"])
        }
    }
--- request
GET /req-header
--- more_headers
X-Foo: old
--- response_body
new new



=== TEST 4: clear_header
--- config
    location /req-header {
        content_by_lua_block {
            ngx.req.clear_header("Foo")
            ngx.say(ngx.var.http_foo, " ", ngx.req.get_headers().foo)
        }
    }
--- request
GET /req-header
--- more_headers
Foo: a
--- response_body
nil nil



=== TEST 5: set_header with a table of values
--- config
    location /req-header {
        content_by_lua_block {
            ngx.req.set_header("Foo", {"a", "b"})
            local v = ngx.req.get_headers()["foo"]
            ngx.say(v[1], ",", v[2])
        }
    }
--- request
GET /req-header
--- response_body
a,b



=== TEST 6: raw header names
--- config
    location /req-header {
        content_by_lua_block {
            local h = ngx.req.get_headers(nil, true)
            ngx.say(h["My-Foo"], " ", h["my-foo"])
        }
    }
--- request
GET /req-header
--- more_headers
My-Foo: bar
--- response_body
bar nil



=== TEST 7: max_headers
--- config
    location /req-header {
        content_by_lua_block {
            local h, err = ngx.req.get_headers(2)
            local n = 0
            for _ in pairs(h) do n = n + 1 end
            ngx.say(n, " ", err)
        }
    }
--- request
GET /req-header
--- more_headers
A: 1
B: 2
C: 3
--- response_body
2 truncated



=== TEST 8: get_headers is case-insensitive through __index
--- config
    location /req-header {
        content_by_lua_block {
            local h = ngx.req.get_headers()
            ngx.say(h.user_agent == nil, " ", h["X-Bar"], " ", h.x_bar)
        }
    }
--- request
GET /req-header
--- more_headers
X-Bar: 1
--- response_body
true 1 1



=== TEST 9: set_header with a bad name
--- config
    location /req-header {
        content_by_lua_block {
            ngx.req.set_header(nil, "a")
        }
    }
--- request
GET /req-header
--- error_code: 500
--- error_log
bad 'name' argument: string expected, got nil
