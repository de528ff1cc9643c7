# vim:set ft= ts=4 sw=4 et fdm=marker:
# lua_http10_buffering (on by default): for an HTTP/1.0 client, ngx_lua holds
# the output so that the response carries Content-Length.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_long_string();

run_tests();

__DATA__

=== TEST 1: HTTP/1.0 response gets Content-Length
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
            ngx.print("world")
        }
    }
--- request
GET /t HTTP/1.0
--- response_headers
Content-Length: 11
--- response_body chomp
hello
world
--- no_error_log
[error]



=== TEST 2: HTTP/1.1 is streamed (chunked)
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
        }
    }
--- request
GET /t
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
hello



=== TEST 3: lua_http10_buffering off streams and closes
--- config
    lua_http10_buffering off;
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
        }
    }
--- request
GET /t HTTP/1.0
--- response_headers
!Content-Length
--- response_body
hello



=== TEST 4: an error status after buffered output keeps the output (as ngx_lua)
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("partial")
            ngx.exit(500)
        }
    }
--- request
GET /t HTTP/1.0
--- error_code: 200
--- response_body
partial
