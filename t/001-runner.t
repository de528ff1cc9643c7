# vim:set ft= ts=4 sw=4 et fdm=marker:
# Runner features exercised with the Lua module.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(2);
log_level('warn');

our $HttpConfig = qq{
    lua_shared_dict dogs 1m;
};

run_tests();

__DATA__

=== TEST 1: content_by_lua_block says hi
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hi")
        }
    }
--- request
GET /t
--- response_body
hi
--- no_error_log
[error]



=== TEST 2: error_log sees ngx.log(ngx.ERR)
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.ERR, "xyz: ", 42)
            ngx.say("logged")
        }
    }
--- request
GET /t
--- response_body
logged
--- error_log eval
["xyz: 42",
qr/\[error\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:\d+\):2: xyz: 42/]



=== TEST 3: log_level warn hides info
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.INFO, "quiet info")
            ngx.log(ngx.WARN, "loud warn")
            ngx.print("ok")
        }
    }
--- request
GET /t
--- response_body chomp
ok
--- error_log
loud warn
--- no_error_log
quiet info
[error]



=== TEST 4: pipelined requests
--- config
    location = /a {
        content_by_lua_block { ngx.say("A") }
    }
    location = /b {
        content_by_lua_block { ngx.say("B", ngx.var.arg_n) }
    }
--- pipelined_requests eval
["GET /a", "GET /b?n=2"]
--- response_body eval
["A\n", "B2\n"]
--- no_error_log
[error]



=== TEST 5: request eval with an array
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("uri=", ngx.var.uri, " n=", ngx.var.arg_n)
        }
    }
--- request eval
["GET /t?n=1", "GET /t?n=2"]
--- response_body eval
["uri=/t n=1\n", "uri=/t n=2\n"]



=== TEST 6: response_body eval with repetition
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(string.rep("a", 100))
        }
    }
--- request
GET /t
--- response_body eval
"a" x 100



=== TEST 7: http_config eval with $::HttpConfig and a shared dict
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("n", 7)
            ngx.say("n=", dogs:get("n"))
        }
    }
--- request
GET /t
--- response_body
n=7



=== TEST 8: chunked response and response_body_like eval
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("first")
            ngx.flush(true)
            ngx.say("second")
        }
    }
--- request
GET /t
--- response_headers
Transfer-Encoding: chunked
--- response_body_like eval
qr/\Afirst\nsecond\n\z/s



=== TEST 9: request body read by Lua, more_headers
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_method(), " ", ngx.req.get_body_data(), " ", ngx.var.http_x_test)
        }
    }
--- request
POST /t
hello=world
--- more_headers
X-Test: yes
--- response_body
POST hello=world yes



=== TEST 10: raw_request eval
--- config
    location = /t {
        content_by_lua_block { ngx.say(ngx.var.http_host) }
    }
--- raw_request eval
"GET /t HTTP/1.1\r
Host: example.com\r
Connection: close\r
\r
"
--- response_body
example.com



=== TEST 11: error status from Lua, timeout and wait
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function() ngx.log(ngx.WARN, "timer ran") end)
            ngx.exit(503)
        }
    }
--- request
GET /t
--- error_code: 503
--- response_body_like: 503 Service Temporarily Unavailable
--- timeout: 500ms
--- wait: 0.1
--- error_log
timer ran



=== TEST 12: user_files with content_by_lua_file
--- config
    location = /t {
        content_by_lua_file html/hello.lua;
    }
--- user_files
>>> hello.lua
ngx.say("from file")
--- request
GET /t
--- response_body
from file



=== TEST 13: skipped block
--- SKIP
--- config
    location = /t { return 500; }
--- request
GET /t
--- response_body
never
