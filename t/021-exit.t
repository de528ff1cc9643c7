# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.exit: ported from lua-nginx-module t/017-exec.t's neighbour 023-rewrite/exit
# and t/014-bugs.t cases on ngx.exit.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: ngx.exit(403) in content
--- config
    location /lua {
        content_by_lua_block { ngx.exit(403) }
    }
--- request
GET /lua
--- error_code: 403
--- response_body_like: 403 Forbidden



=== TEST 2: ngx.exit(ngx.HTTP_OK) after output
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("hi")
            ngx.exit(ngx.HTTP_OK)
            ngx.say("not reached")
        }
    }
--- request
GET /lua
--- response_body
hi



=== TEST 3: ngx.exit(0) in rewrite goes on
--- config
    location /lua {
        rewrite_by_lua_block { ngx.ctx.a = 1 ngx.exit(0) }
        content_by_lua_block { ngx.say("content ", ngx.ctx.a) }
    }
--- request
GET /lua
--- response_body
content 1



=== TEST 4: ngx.exit(ngx.ERROR)
--- config
    location /lua {
        content_by_lua_block { ngx.exit(ngx.ERROR) }
    }
--- request
GET /lua
--- ignore_response
--- no_error_log
[error]



=== TEST 5: ngx.exit(404) in access
--- config
    location /lua {
        access_by_lua_block { ngx.exit(404) }
        content_by_lua_block { ngx.say("no") }
    }
--- request
GET /lua
--- error_code: 404
--- response_body_like: 404 Not Found



=== TEST 6: ngx.exit(201) sends the status with an empty body
--- config
    location /lua {
        content_by_lua_block { ngx.exit(201) }
    }
--- request
GET /lua
--- error_code: 201
--- response_body



=== TEST 7: ngx.exit after headers sent with 500 ends the response
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("partial")
            ngx.exit(500)
        }
    }
--- request
GET /lua
--- response_body
partial



=== TEST 8: ngx.exit with a bad argument
--- config
    location /lua {
        content_by_lua_block { ngx.exit("abc") }
    }
--- request
GET /lua
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error:



=== TEST 9: ngx.exit(ngx.OK) in header_filter returns and the filter goes on
--- config
    location /lua {
        content_by_lua_block { ngx.say("hi") }
        header_filter_by_lua_block {
            ngx.header.foo = "bar"
            ngx.exit(ngx.OK)
            ngx.header.foo = "baz"
        }
    }
--- request
GET /lua
--- response_headers
foo: baz
--- response_body
hi



=== TEST 10: ngx.exit(ngx.HTTP_NO_CONTENT)
--- config
    location /lua {
        content_by_lua_block { ngx.exit(ngx.HTTP_NO_CONTENT) }
    }
--- request
GET /lua
--- error_code: 204
--- response_body
