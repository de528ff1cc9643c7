# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.location.capture: truncated responses, always_forward_body, which
# parent body a subrequest gets, and share_all_vars sharing the variables
# while the subrequests run. Ported in part from lua-nginx-module
# t/020-subrequest.t and t/082-body-filter.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: a complete response is not truncated
--- config
    location = /sub {
        content_by_lua_block { ngx.say("hello") }
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/sub")
            ngx.say(res.status, " ", res.truncated)
            ngx.print(res.body)
        }
    }
--- request
GET /t
--- response_body
200 false
hello



=== TEST 2: a body filter that drops the eof makes it truncated
--- config
    location = /read {
        return 200 "hello world";

        body_filter_by_lua_block {
            local chunk, eof = ngx.arg[1], ngx.arg[2]
            if eof then
                ngx.arg[2] = false
            end
        }
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/read")
            ngx.say("truncated: ", res.truncated)
        }
    }
--- request
GET /t
--- response_body
truncated: true
--- no_error_log
[alert]



=== TEST 3: an upstream closing before the end of its body
--- config
    location = /backend {
        content_by_lua_block {
            ngx.header.content_length = 100
            ngx.print("hello")
            ngx.flush(true)
            ngx.exit(444)
        }
    }
    location = /proxy {
        proxy_pass http://127.0.0.1:$server_port/backend;
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/proxy")
            ngx.say(res.status, " ", res.truncated, " ", res.body)
        }
    }
--- request
GET /t
--- response_body
200 true hello
--- error_log
upstream prematurely closed connection while reading upstream



=== TEST 4: a 404 subrequest counts as truncated (no last buffer)
--- config
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/nowhere")
            ngx.say(res.status, " ", res.truncated)
        }
    }
--- request
GET /t
--- response_body
404 true



=== TEST 5: capture_multi: only the cut one is truncated
--- config
    location = /read {
        return 200 "hello world";
        body_filter_by_lua_block {
            if ngx.arg[2] then ngx.arg[2] = false end
        }
    }
    location = /ok {
        return 200 "fine";
    }
    location = /t {
        content_by_lua_block {
            local a, b = ngx.location.capture_multi{ {"/ok"}, {"/read"} }
            ngx.say(a.truncated, " ", b.truncated)
        }
    }
--- request
GET /t
--- response_body
false true



=== TEST 6: a read body goes to POST subrequests
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/sub", { method = ngx.HTTP_POST })
            ngx.print(res.body)
            res = ngx.location.capture("/sub", { method = ngx.HTTP_PUT })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
POST hello world
PUT hello world



=== TEST 7: a read body does not go to GET subrequests by default
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/sub")
            ngx.print(res.body)
            res = ngx.location.capture("/sub", { method = ngx.HTTP_DELETE })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
GET nil
DELETE nil



=== TEST 8: always_forward_body sends it to GET subrequests
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/sub",
                                             { always_forward_body = true })
            ngx.print(res.body)
            res = ngx.location.capture("/sub", { method = ngx.HTTP_DELETE,
                                                 always_forward_body = true })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
GET hello world
DELETE hello world



=== TEST 9: the body option wins over always_forward_body
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/sub",
                { body = "mine", always_forward_body = true })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
mine



=== TEST 10: a body the parent has not read does not go to the subrequest
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/sub", { method = ngx.HTTP_POST })
            ngx.print(res.body)
            res = ngx.location.capture("/sub", { method = ngx.HTTP_POST,
                                                 always_forward_body = true })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
POST nil
POST nil



=== TEST 11: lua_need_request_body reads it for the subrequest
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
    location = /t {
        lua_need_request_body on;
        content_by_lua_block {
            local res = ngx.location.capture("/sub", { method = ngx.HTTP_POST })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
hello world



=== TEST 12: a forwarded body reaches a proxied subrequest
--- config
    location = /echo {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("got: ", ngx.req.get_body_data())
        }
    }
    location = /proxy {
        proxy_pass http://127.0.0.1:$server_port/echo;
    }
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/proxy",
                { method = ngx.HTTP_POST, always_forward_body = true })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
got: hello world



=== TEST 13: share_all_vars: the parent sees a write at once
--- config
    location = /sub {
        content_by_lua_block {
            ngx.var.dog = "sub dog"
            ngx.say("sub sees: ", ngx.var.cat)
        }
    }
    location = /t {
        set $dog "main dog";
        set $cat "main cat";
        content_by_lua_block {
            local res = ngx.location.capture("/sub", { share_all_vars = true })
            ngx.print(res.body)
            ngx.say("main sees: ", ngx.var.dog)
        }
    }
--- request
GET /t
--- response_body
sub sees: main cat
main sees: sub dog



=== TEST 14: share_all_vars: concurrent subrequests see each other's writes
--- config
    location = /a {
        content_by_lua_block {
            ngx.var.dog = "set by a"
            ngx.sleep(0.05)
            ngx.say("a sees: ", ngx.var.dog)
        }
    }
    location = /b {
        content_by_lua_block {
            ngx.sleep(0.02)
            ngx.say("b sees: ", ngx.var.dog)
            ngx.var.dog = "set by b"
        }
    }
    location = /t {
        set $dog "main";
        content_by_lua_block {
            local ra, rb = ngx.location.capture_multi{
                { "/a", { share_all_vars = true } },
                { "/b", { share_all_vars = true } },
            }
            ngx.print(ra.body, rb.body)
            ngx.say("main sees: ", ngx.var.dog)
        }
    }
--- request
GET /t
--- response_body
a sees: set by b
b sees: set by a
main sees: set by b



=== TEST 15: copy_all_vars does not write back
--- config
    location = /sub {
        content_by_lua_block {
            ngx.var.dog = "sub dog"
            ngx.say("sub sees: ", ngx.var.dog)
        }
    }
    location = /t {
        set $dog "main dog";
        content_by_lua_block {
            local res = ngx.location.capture("/sub", { copy_all_vars = true })
            ngx.print(res.body)
            ngx.say("main sees: ", ngx.var.dog)
        }
    }
--- request
GET /t
--- response_body
sub sees: sub dog
main sees: main dog



=== TEST 16: without share or copy the subrequest starts with no values
--- config
    location = /sub {
        content_by_lua_block {
            ngx.say("sub sees the main value: ", ngx.var.dog == "main dog")
            ngx.var.dog = "sub dog"
        }
    }
    location = /t {
        set $dog "main dog";
        content_by_lua_block {
            local res = ngx.location.capture("/sub")
            ngx.print(res.body)
            ngx.say("main sees: ", ngx.var.dog)
        }
    }
--- request
GET /t
--- response_body
sub sees the main value: false
main sees: main dog



=== TEST 17: always_forward_body with a bad type is just true-ish
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local res = ngx.location.capture("/sub", { always_forward_body = 1 })
            ngx.print(res.body)
            res = ngx.location.capture("/sub", { always_forward_body = false })
            ngx.print(res.body)
        }
    }
--- request
POST /t
hello world
--- response_body
hello world
nil



=== TEST 18: truncated for other kinds of subrequest endings
--- config
    location = /s204 { return 204; }
    location = /s302 { return 302 /elsewhere; }
    location = /s200 { return 200 "text"; }
    location = /exit403 {
        content_by_lua_block { ngx.exit(403) }
    }
    location = /exit200 {
        content_by_lua_block { ngx.print("part") ngx.exit(200) }
    }
    location = /err {
        content_by_lua_block { ngx.print("part") ngx.exit(ngx.ERROR) }
    }
    location = /luaerr {
        content_by_lua_block { error("oops") }
    }
    location = /head {
        content_by_lua_block { ngx.say("body") }
    }
    location = /t {
        content_by_lua_block {
            for _, u in ipairs{"/s204", "/s302", "/s200", "/exit403",
                               "/exit200", "/err", "/luaerr"} do
                local res = ngx.location.capture(u)
                ngx.say(u, " ", res.status, " ", res.truncated, " [",
                        res.body, "]")
            end
            local res = ngx.location.capture("/head",
                                             { method = ngx.HTTP_HEAD })
            ngx.say("/head ", res.status, " ", res.truncated, " [",
                    res.body, "]")
        }
    }
--- request
GET /t
--- response_body
/s204 204 true []
/s302 302 true []
/s200 200 false [text]
/exit403 403 true []
/exit200 200 false [part]
/err 200 true [part]
/luaerr 500 true []
/head 200 true []



=== TEST 19: static files and proxied responses are complete
--- config
    location = /back {
        content_by_lua_block {
            ngx.print(string.rep("x", 10000))
        }
    }
    location = /proxy {
        proxy_pass http://127.0.0.1:$server_port/back;
    }
    location = /t {
        content_by_lua_block {
            local a, b = ngx.location.capture_multi{ {"/index.html"},
                                                     {"/proxy"} }
            ngx.say(a.status, " ", a.truncated, " ", #a.body)
            ngx.say(b.status, " ", b.truncated, " ", #b.body)
        }
    }
--- user_files
>>> index.html
hello index
--- request
GET /t
--- response_body
200 false 12
200 false 10000



=== TEST 20: an upstream timing out in the middle of its body
--- config
    location = /backend {
        content_by_lua_block {
            ngx.header.content_length = 100
            ngx.print("hello")
            ngx.flush(true)
            ngx.sleep(1)
            ngx.print(string.rep("x", 95))
        }
    }
    location = /proxy {
        proxy_read_timeout 200ms;
        proxy_pass http://127.0.0.1:$server_port/backend;
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/proxy")
            -- nginx drops what its proxy buffers held when the read times
            -- out; the status and the flag are what both agree on
            ngx.say(res.status, " ", res.truncated)
        }
    }
--- request
GET /t
--- response_body
200 true
--- error_log
upstream timed out
