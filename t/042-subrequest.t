# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.location.capture / capture_multi: ported from lua-nginx-module
# t/020-subrequest.t and t/027-multi-capture.t (echo module locations
# replaced by content_by_lua).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: DELETE
--- config
    location /other {
        content_by_lua_block { ngx.print(ngx.req.get_method()) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other",
                { method = ngx.HTTP_DELETE })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body chop
DELETE



=== TEST 2: POST with a body
--- config
    location /other {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data())
        }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other",
                { method = ngx.HTTP_POST, body = "hello, world" })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body
POST hello, world



=== TEST 3: status, header, body, truncated
--- config
    location /other {
        content_by_lua_block {
            ngx.status = 201
            ngx.header["X-Foo"] = "bar"
            ngx.header["Set-Cookie"] = {"a=1", "b=2"}
            ngx.say("body")
        }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other")
            ngx.say("status: ", res.status)
            ngx.say("X-Foo: ", res.header["X-Foo"])
            ngx.say("Set-Cookie: ", table.concat(res.header["Set-Cookie"], "|"))
            ngx.say("body: ", res.body)
            ngx.say("truncated: ", res.truncated)
        }
    }
--- request
GET /lua
--- response_body
status: 201
X-Foo: bar
Set-Cookie: a=1|b=2
body: body

truncated: false



=== TEST 4: args as a string and as a table
--- config
    location /other {
        content_by_lua_block { ngx.print(ngx.var.args) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other", { args = "a=1&b=2" })
            ngx.say(res.body)
            res = ngx.location.capture("/other?x=1", { args = { c = "hi there" } })
            ngx.say(res.body)
        }
    }
--- request
GET /lua
--- response_body
a=1&b=2
x=1&c=hi%20there



=== TEST 5: vars option
--- config
    location /other {
        content_by_lua_block {
            ngx.say("dog = ", ngx.var.dog)
            ngx.say("cat = ", ngx.var.cat)
        }
    }
    location /lua {
        set $dog '';
        set $cat '';
        content_by_lua_block {
            local res = ngx.location.capture("/other",
                { vars = { dog = "hello", cat = 32 } })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body
dog = hello
cat = 32



=== TEST 6: copy_all_vars
--- config
    location /other {
        content_by_lua_block {
            ngx.say("dog = ", ngx.var.dog)
            ngx.var.dog = "changed"
        }
    }
    location /lua {
        set $dog 'hello';
        content_by_lua_block {
            local res = ngx.location.capture("/other", { copy_all_vars = true })
            ngx.print(res.body)
            ngx.say("parent dog = ", ngx.var.dog)
        }
    }
--- request
GET /lua
--- response_body
dog = hello
parent dog = hello



=== TEST 7: share_all_vars
--- config
    location /other {
        content_by_lua_block {
            ngx.say("dog = ", ngx.var.dog)
            ngx.var.dog = "changed"
        }
    }
    location /lua {
        set $dog 'hello';
        content_by_lua_block {
            local res = ngx.location.capture("/other", { share_all_vars = true })
            ngx.print(res.body)
            ngx.say("parent dog = ", ngx.var.dog)
        }
    }
--- request
GET /lua
--- response_body
dog = hello
parent dog = changed



=== TEST 8: ctx option
--- config
    location /other {
        content_by_lua_block {
            ngx.ctx.foo = "bar"
        }
    }
    location /lua {
        content_by_lua_block {
            local ctx = {}
            ngx.location.capture("/other", { ctx = ctx })
            ngx.say(ctx.foo)
            ngx.say(ngx.ctx.foo)
        }
    }
--- request
GET /lua
--- response_body
bar
nil



=== TEST 9: ctx shared with the parent
--- config
    location /other {
        content_by_lua_block { ngx.ctx.foo = "from sub" }
    }
    location /lua {
        content_by_lua_block {
            ngx.location.capture("/other", { ctx = ngx.ctx })
            ngx.say(ngx.ctx.foo)
        }
    }
--- request
GET /lua
--- response_body
from sub



=== TEST 10: 404 subrequest
--- config
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/missing.html")
            ngx.say("status: ", res.status)
        }
    }
--- request
GET /lua
--- response_body
status: 404



=== TEST 11: ngx.exit in the subrequest
--- config
    location /other {
        content_by_lua_block { ngx.exit(403) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other")
            ngx.say("status: ", res.status)
        }
    }
--- request
GET /lua
--- response_body
status: 403



=== TEST 12: is_subrequest and request headers
--- config
    location /other {
        content_by_lua_block {
            ngx.say(ngx.is_subrequest, " ", ngx.var.http_foo, " ", ngx.var.uri)
        }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other")
            ngx.print(res.body)
            ngx.say(ngx.is_subrequest)
        }
    }
--- request
GET /lua
--- more_headers
Foo: bar
--- response_body
true bar /other
false



=== TEST 13: static file subrequest
--- config
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/a.txt")
            ngx.print(res.status, " ", res.body)
        }
    }
--- user_files
>>> a.txt
static body
--- request
GET /lua
--- response_body
200 static body



=== TEST 14: capture_multi
--- config
    location /a {
        content_by_lua_block { ngx.sleep(0.02) ngx.print("a") }
    }
    location /b {
        content_by_lua_block { ngx.print("b") }
    }
    location /lua {
        content_by_lua_block {
            local r1, r2, r3 = ngx.location.capture_multi{
                { "/a" },
                { "/b", { args = "x=1" } },
                { "/a" },
            }
            ngx.say(r1.body, r2.body, r3.body, " ", r1.status)
        }
    }
--- request
GET /lua
--- response_body
aba 200



=== TEST 15: capture in header_filter
--- config
    location /other { return 200 "x"; }
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            local ok, err = pcall(ngx.location.capture, "/other")
            ngx.log(ngx.ERR, "capture: ", err)
        }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
capture: API disabled in the context of header_filter_by_lua*



=== TEST 16: bad option types
--- config
    location /lua {
        content_by_lua_block {
            local ok, err = pcall(ngx.location.capture, "/a", { method = "GET" })
            ngx.say(err)
            ok, err = pcall(ngx.location.capture, "/a", { vars = "a" })
            ngx.say(err)
            ok, err = pcall(ngx.location.capture, "/a", { ctx = 1 })
            ngx.say(err)
            ok, err = pcall(ngx.location.capture_multi, {})
            ngx.say(err)
        }
    }
--- request
GET /lua
--- response_body
Bad http request method
Bad vars option value
Bad ctx option value type number, expected a Lua table
at least one subrequest should be specified



=== TEST 17: subrequest body filters run on the captured body
--- config
    location /other {
        content_by_lua_block { ngx.say("hello") }
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other")
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body
HELLO



=== TEST 18: log_by_lua does not run for subrequests
--- config
    location /other {
        content_by_lua_block { ngx.print("x") }
        log_by_lua_block { ngx.log(ngx.WARN, "log ran for ", ngx.var.uri) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other")
            ngx.say(res.body)
        }
        log_by_lua_block { ngx.log(ngx.WARN, "log ran for ", ngx.var.uri) }
    }
--- request
GET /lua
--- response_body
x
--- error_log
log ran for /lua
--- no_error_log
log ran for /other



=== TEST 19: parent args are not inherited
--- config
    location /other {
        content_by_lua_block { ngx.print("args: ", ngx.var.args) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other")
            ngx.say(res.body)
        }
    }
--- request
GET /lua?a=1
--- response_body
args: nil



=== TEST 20: HEAD subrequest
--- config
    location /other {
        content_by_lua_block { ngx.say(ngx.req.get_method()) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other",
                { method = ngx.HTTP_HEAD })
            ngx.say("[", res.body, "] ", res.status)
        }
    }
--- request
GET /lua
--- response_body
[] 200



=== TEST 21: PUT with a body, then GET has no Content-Length
--- config
    location /other {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method())
            ngx.say(ngx.req.get_body_data())
        }
    }
    location /foo {
        content_by_lua_block {
            ngx.say(ngx.req.get_method())
            ngx.print("[", ngx.var.http_content_length, "]")
        }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/other",
                { method = ngx.HTTP_PUT, body = "hello" })
            ngx.print(res.body)
            res = ngx.location.capture("/foo")
            ngx.say(res.body)
        }
    }
--- request
GET /lua
--- response_body
PUT
hello
GET
[nil]



=== TEST 22: empty args option table
--- config
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.query_string) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/foo", { args = {} })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body
nil



=== TEST 23: args table with special characters
--- config
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.query_string) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/foo",
                { args = { ["fo="] = "=>" } })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body
fo%3D=%3D%3E



=== TEST 24: args table with a number key
--- config
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.query_string) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/foo", { args = { [57] = "hi" } })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body_like: 500 Internal Server Error
--- error_code: 500



=== TEST 25: uri args and args option
--- config
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.query_string) }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/foo?a=3", { args = { b = 4 } })
            ngx.print(res.body)
        }
    }
--- request
GET /lua
--- response_body
a=3&b=4



=== TEST 26: parent POST body is inherited
--- config
    location /other {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data())
        }
    }
    location /lua {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/other",
                { method = ngx.HTTP_POST })
            ngx.print(res.body)
        }
    }
--- request
POST /lua
parent body
--- response_body
POST parent body



=== TEST 27: nested subrequests
--- config
    location /a {
        content_by_lua_block {
            local res = ngx.location.capture("/b")
            ngx.print("a(", res.body, ")")
        }
    }
    location /b {
        content_by_lua_block { ngx.print("b") }
    }
    location /lua {
        content_by_lua_block {
            local res = ngx.location.capture("/a")
            ngx.say(res.body)
        }
    }
--- request
GET /lua
--- response_body
a(b)



=== TEST 28: capture from rewrite and access
--- config
    location /sub {
        content_by_lua_block { ngx.print("sub") }
    }
    location /lua {
        rewrite_by_lua_block {
            ngx.ctx.r = ngx.location.capture("/sub").body
        }
        access_by_lua_block {
            ngx.ctx.a = ngx.location.capture("/sub").body
        }
        content_by_lua_block { ngx.say(ngx.ctx.r, " ", ngx.ctx.a) }
    }
--- request
GET /lua
--- response_body
sub sub
