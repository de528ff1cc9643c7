# Handler chunks load without the vararg flag when they do not use `...` (so that
# LuaJIT compiles them); one that does keeps it. ngx.var reads are resolved once per
# name and then read by index: values must follow the request, variables set by
# `set` or from Lua must still be found, and errors must still name the main chunk.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a chunk that uses ... at top level still gets its (empty) arguments
--- config
    location = /t {
        content_by_lua_block {
            local n = select("#", ...)
            local a = ...
            ngx.say("args: ", n, " ", tostring(a))
        }
    }
--- request
GET /t
--- response_body
args: 0 nil
--- no_error_log
[error]



=== TEST 2: an error in a chunk without ... is reported in its main chunk, with its line
--- config
    location = /t {
        content_by_lua_block {
            local x = 1
            error("boom " .. x)
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr/content_by_lua\(nginx\.conf:\d+\):3: boom 1/, "in main chunk"]



=== TEST 3: indexed ngx.var reads follow each request (builtins, arg_ and http_ prefixes)
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.say(ngx.var.uri, " ", ngx.var.arg_a, " ", ngx.var.http_x_who, " ", ngx.var.args)
            end
        }
    }
--- pipelined_requests eval
["GET /t?a=1", "GET /t?a=two&b=3"]
--- more_headers
X-Who: me
--- response_body eval
["/t 1 me a=1\n" x 3, "/t two me a=two&b=3\n" x 3]
--- no_error_log
[error]



=== TEST 4: variables set by `set` and from Lua are found, before and after indexed reads
--- config
    location = /t {
        set $foo "from-set";
        content_by_lua_block {
            ngx.say(ngx.var.foo, " ", ngx.var.arg_a)
            ngx.var.foo = "from-lua"
            ngx.say(ngx.var.foo, " ", ngx.var.arg_a)
            ngx.var.foo = nil
            ngx.say(tostring(ngx.var.foo))
            ngx.say(tostring(ngx.var.no_such_variable_here))
        }
    }
--- request
GET /t?a=1
--- response_body
from-set 1
from-lua 1
nil
nil
--- no_error_log
[error]



=== TEST 5: a read-only variable is refused the same way on every write
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 2 do
                local ok, err = pcall(function() ngx.var.uri = "/x" end)
                ngx.say(ok, " ", err)
            end
        }
    }
--- request
GET /t
--- response_body_like: false .*variable "uri" not changeable\nfalse .*variable "uri" not changeable
--- no_error_log
[error]



=== TEST 6: the binding variable of the server's startup is not left to Lua and its children
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(tostring(os.getenv("LD_BIND_NOW")))
        }
    }
--- request
GET /t
--- response_body
nil
--- no_error_log
[error]
