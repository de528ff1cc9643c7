# vim:set ft= ts=4 sw=4 et fdm=marker:
# content_by_lua*: ported from lua-nginx-module t/002-content.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: basic print
--- config
    location /lua {
        content_by_lua 'ngx.print("Hello, Lua!\\n")';
    }
--- request
GET /lua
--- response_body
Hello, Lua!
--- no_error_log
[error]



=== TEST 2: basic say
--- config
    location /say {
        content_by_lua_block {
            ngx.say("Hello, Lua!")
            ngx.say("Yay! ", 123)
        }
    }
--- request
GET /say
--- response_body
Hello, Lua!
Yay! 123



=== TEST 3: no ngx.say/print
--- config
    location /lua {
        content_by_lua_block { local a = 1 }
    }
--- request
GET /lua
--- response_body
--- no_error_log
[error]



=== TEST 4: nil, booleans, tables and ngx.null
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(nil, " ", true, " ", false, " ", ngx.null)
            ngx.say({"a", {"b", 3}, "c"})
            ngx.print(1.5, "\n")
        }
    }
--- request
GET /lua
--- response_body
nil true false null
ab3c
1.5



=== TEST 5: bad argument type
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(function() end)
        }
    }
--- request
GET /lua
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log
bad argument #1 to 'say' (string, number, boolean, nil, ngx.null, or array table expected, but got function)



=== TEST 6: ngx.say returns 1
--- config
    location /lua {
        content_by_lua_block {
            local ok, err = ngx.say("a")
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /lua
--- response_body
a
1 nil



=== TEST 7: content_by_lua_file
--- config
    location /lua {
        content_by_lua_file html/test.lua;
    }
--- user_files
>>> test.lua
ngx.say("from file: ", ngx.var.uri)
--- request
GET /lua
--- response_body
from file: /lua



=== TEST 8: content_by_lua_file with a variable in the path
--- config
    location ~ ^/lua/(\w+)$ {
        content_by_lua_file html/$1.lua;
    }
--- user_files
>>> foo.lua
ngx.say("foo")
>>> bar.lua
ngx.say("bar")
--- request
GET /lua/bar
--- response_body
bar



=== TEST 9: missing file gives 404
--- config
    location /lua {
        content_by_lua_file html/missing.lua;
    }
--- request
GET /lua
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
qr/failed to load external Lua file "\S+missing\.lua": cannot open \S+missing\.lua/



=== TEST 10: ngx.send_headers then say
--- config
    location /lua {
        content_by_lua_block {
            ngx.status = 201
            ngx.send_headers()
            ngx.say("sent: ", ngx.headers_sent)
        }
    }
--- request
GET /lua
--- error_code: 201
--- response_body
sent: true



=== TEST 11: ngx.flush and ngx.eof
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("hi")
            ngx.flush(true)
            ngx.eof()
            local ok, err = ngx.say("after")
            ngx.log(ngx.ERR, "say after eof: ", ok, " ", err)
        }
    }
--- request
GET /lua
--- response_body
hi
--- error_log
say after eof: nil seen eof



=== TEST 12: POST body with lua_need_request_body
--- config
    location /echo {
        lua_need_request_body on;
        content_by_lua_block {
            ngx.say(ngx.var.request_body)
        }
    }
--- request
POST /echo
hello, world
--- response_body
hello, world



=== TEST 13: default content type
--- config
    location /lua {
        default_type text/css;
        content_by_lua_block { ngx.say("x") }
    }
--- request
GET /lua
--- response_headers
Content-Type: text/css
--- response_body
x



=== TEST 14: HEAD request
--- config
    location /lua {
        content_by_lua_block { ngx.say("hello") }
    }
--- request
HEAD /lua
--- response_body



=== TEST 15: chained internal locations
--- config
    location /main {
        content_by_lua_block {
            ngx.exec("/sub", "a=1")
        }
    }
    location /sub {
        content_by_lua_block { ngx.say("args: ", ngx.var.args) }
    }
--- request
GET /main
--- response_body
args: a=1
