# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.worker.*, ngx.config.*, ngx.status, ngx.headers_sent, ngx.is_subrequest,
# ngx.req.http_version/raw_header/start_time/is_internal, ngx.null: ported
# from lua-nginx-module t/015-status.t, t/062-count.t, t/104-req-raw-header.t,
# t/106-timer.t's worker cases and t/122-worker.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: ngx.worker
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("pid: ", ngx.worker.pid() == tonumber(ngx.var.pid))
            ngx.say("id: ", ngx.worker.id())
            ngx.say("count: ", ngx.worker.count())
            ngx.say("exiting: ", ngx.worker.exiting())
        }
    }
--- request
GET /lua
--- response_body
pid: true
id: 0
count: 1
exiting: false



=== TEST 2: ngx.config
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("subsystem: ", ngx.config.subsystem)
            ngx.say("debug: ", type(ngx.config.debug))
            ngx.say("prefix: ", type(ngx.config.prefix()))
            ngx.say("version: ", type(ngx.config.nginx_version), " ",
                    ngx.config.nginx_version >= 1000000)
            ngx.say("lua version: ", type(ngx.config.ngx_lua_version))
            ngx.say("configure: ", type(ngx.config.nginx_configure()))
        }
    }
--- request
GET /lua
--- response_body
subsystem: http
debug: boolean
prefix: string
version: number true
lua version: number
configure: string



=== TEST 3: ngx.status read and write
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("before: ", ngx.status)
        }
    }
--- request
GET /lua
--- response_body
before: 0



=== TEST 4: ngx.status set before output
--- config
    location /lua {
        content_by_lua_block {
            ngx.status = 404
            ngx.say("status: ", ngx.status)
        }
    }
--- request
GET /lua
--- error_code: 404
--- response_body
status: 404



=== TEST 5: ngx.status set after output
--- config
    location /lua {
        content_by_lua_block {
            ngx.say("hi")
            ngx.status = 404
        }
    }
--- request
GET /lua
--- response_body
hi
--- error_log
attempt to set ngx.status after sending out response headers



=== TEST 6: ngx.headers_sent
--- config
    location /lua {
        content_by_lua_block {
            local a = ngx.headers_sent
            ngx.send_headers()
            ngx.say(a, " ", ngx.headers_sent)
        }
    }
--- request
GET /lua
--- response_body
false true



=== TEST 7: ngx.is_subrequest
--- config
    location /lua {
        content_by_lua_block { ngx.say(ngx.is_subrequest) }
    }
--- request
GET /lua
--- response_body
false



=== TEST 8: http_version
--- config
    location /lua {
        content_by_lua_block { ngx.say(ngx.req.http_version()) }
    }
--- request
GET /lua
--- response_body
1.1



=== TEST 9: http 1.0
--- config
    location /lua {
        content_by_lua_block { ngx.say(ngx.req.http_version()) }
    }
--- request
GET /lua HTTP/1.0
--- response_body
1



=== TEST 10: raw_header
--- config
    location /lua {
        content_by_lua_block { ngx.print(ngx.req.raw_header()) }
    }
--- raw_request eval
"GET /lua HTTP/1.0\r\nHost: localhost\r\nFoo: bar\r\n\r\n"
--- response_body eval
"GET /lua HTTP/1.0\r\nHost: localhost\r\nFoo: bar\r\n\r\n"



=== TEST 11: raw_header without the request line
--- config
    location /lua {
        content_by_lua_block { ngx.print(ngx.req.raw_header(true)) }
    }
--- raw_request eval
"GET /lua HTTP/1.0\r\nHost: localhost\r\nFoo: bar\r\n\r\n"
--- response_body eval
"Host: localhost\r\nFoo: bar\r\n\r\n"



=== TEST 12: start_time
--- config
    location /lua {
        content_by_lua_block {
            local t = ngx.req.start_time()
            ngx.say(type(t), " ", math.abs(ngx.now() - t) < 1)
        }
    }
--- request
GET /lua
--- response_body
number true



=== TEST 13: is_internal
--- config
    location /lua {
        content_by_lua_block { ngx.say(ngx.req.is_internal()) }
    }
--- request
GET /lua
--- response_body
false



=== TEST 14: ngx.null
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(type(ngx.null), " ", tostring(ngx.null) == "userdata: NULL")
            ngx.say(ngx.null == ngx.null)
        }
    }
--- request
GET /lua
--- response_body
userdata true
true



=== TEST 15: ngx.req.get_method and set_method
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(ngx.req.get_method())
            ngx.req.set_method(ngx.HTTP_PUT)
            ngx.say(ngx.req.get_method(), " ", ngx.var.request_method)
        }
    }
--- request
GET /lua
--- response_body
GET
PUT PUT



=== TEST 16: constants
--- config
    location /lua {
        content_by_lua_block {
            ngx.say(ngx.OK, " ", ngx.ERROR, " ", ngx.AGAIN, " ", ngx.DONE, " ",
                    ngx.DECLINED)
            ngx.say(ngx.HTTP_GET, " ", ngx.HTTP_POST, " ", ngx.HTTP_OK, " ",
                    ngx.HTTP_NOT_FOUND, " ", ngx.HTTP_INTERNAL_SERVER_ERROR)
        }
    }
--- request
GET /lua
--- response_body
0 -1 -2 -4 -5
2 8 200 404 500
