# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.header: ported from lua-nginx-module t/016-resp-header.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: set response content-type header
--- config
    location /read {
        content_by_lua_block {
            ngx.header.content_type = "text/my-plain"
            ngx.say("Hi")
        }
    }
--- request
GET /read
--- response_headers
Content-Type: text/my-plain
--- response_body
Hi



=== TEST 2: set and read a custom header
--- config
    location /read {
        content_by_lua_block {
            ngx.header["X-Foo"] = "bar"
            ngx.say("X-Foo: ", ngx.header["x_foo"])
        }
    }
--- request
GET /read
--- response_headers
X-Foo: bar
--- response_body
X-Foo: bar



=== TEST 3: multi-value headers
--- config
    location /read {
        content_by_lua_block {
            ngx.header["Set-Cookie"] = {"a=32; path=/", "b=4; path=/"}
            local v = ngx.header["Set-Cookie"]
            ngx.say(type(v), " ", #v, " ", v[1], " ", v[2])
        }
    }
--- request
GET /read
--- response_body
table 2 a=32; path=/ b=4; path=/



=== TEST 4: clear a header with nil
--- config
    location /read {
        content_by_lua_block {
            ngx.header.foo = "a"
            ngx.header.foo = nil
            ngx.say("foo: ", ngx.header.foo)
        }
    }
--- request
GET /read
--- response_headers
!foo
--- response_body
foo: nil



=== TEST 5: content_length
--- config
    location /read {
        content_by_lua_block {
            ngx.header.content_length = 3
            ngx.print("abc")
        }
    }
--- request
GET /read
--- response_headers
Content-Length: 3
--- response_body chop
abc



=== TEST 6: underscores become dashes
--- config
    location /read {
        content_by_lua_block {
            ngx.header.foo_bar = "baz"
            ngx.say("ok")
        }
    }
--- request
GET /read
--- response_headers
Foo-Bar: baz
--- response_body
ok



=== TEST 7: set header after headers sent
--- config
    location /read {
        content_by_lua_block {
            ngx.say("hi")
            ngx.header.foo = "bar"
        }
    }
--- request
GET /read
--- response_body
hi
--- error_log
attempt to set ngx.header.HEADER after sending out response headers



=== TEST 8: ngx.resp.get_headers
--- config
    location /read {
        content_by_lua_block {
            ngx.header.foo = "bar"
            ngx.header.baz = {"1", "2"}
            local h = ngx.resp.get_headers()
            ngx.say("foo: ", h.foo)
            ngx.say("baz: ", table.concat(h.baz, ","))
        }
    }
--- request
GET /read
--- response_body
foo: bar
baz: 1,2



=== TEST 9: header value with a number
--- config
    location /read {
        content_by_lua_block {
            ngx.header["X-Num"] = 32
            ngx.say(type(ngx.header["X-Num"]))
        }
    }
--- request
GET /read
--- response_headers
X-Num: 32
--- response_body
string



=== TEST 10: headers set in rewrite are sent with content
--- config
    location /read {
        rewrite_by_lua_block { ngx.header["X-R"] = "r" }
        content_by_lua_block { ngx.say("ok") }
    }
--- request
GET /read
--- response_headers
X-R: r
--- response_body
ok



=== TEST 11: Cache-Control set and cleared
--- config
    location /read {
        content_by_lua_block {
            ngx.header.cache_control = "private"
            ngx.say(ngx.header.cache_control)
        }
    }
--- request
GET /read
--- response_headers
Cache-Control: private
--- response_body
private



=== TEST 12: header with invalid characters is escaped
--- config
    location /read {
        content_by_lua_block {
            ngx.header["Foo"] = "a\r\nb"
            ngx.say("ok")
        }
    }
--- request
GET /read
--- response_headers
Foo: a%0D%0Ab
--- response_body
ok



=== TEST 13: content_type set to nil: no default type is added
--- config
    location = /t {
        default_type text/html;
        content_by_lua_block {
            ngx.header.content_type = "text/x"
            ngx.header.content_type = nil
            ngx.say("hi")
        }
    }
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
hi



=== TEST 14: without assigning content_type the default type is used
--- config
    location = /t {
        default_type text/html;
        content_by_lua_block {
            ngx.header["X-Other"] = "1"
            ngx.say("hi")
        }
    }
--- request
GET /t
--- response_headers
Content-Type: text/html
X-Other: 1
--- response_body
hi
