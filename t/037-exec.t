# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.exec: ported from lua-nginx-module t/017-exec.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: basic exec
--- config
    location /main {
        content_by_lua_block { ngx.exec("/foo") }
    }
    location /foo {
        content_by_lua_block { ngx.say("foo") }
    }
--- request
GET /main
--- response_body
foo



=== TEST 2: exec with args in the uri
--- config
    location /main {
        content_by_lua_block { ngx.exec("/foo?a=1") }
    }
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.args) }
    }
--- request
GET /main
--- response_body
a=1



=== TEST 3: exec with an args table
--- config
    location /main {
        content_by_lua_block { ngx.exec("/foo", { a = "hello world" }) }
    }
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.args) }
    }
--- request
GET /main
--- response_body
a=hello%20world



=== TEST 4: exec with uri args and extra args
--- config
    location /main {
        content_by_lua_block { ngx.exec("/foo?a=1", "b=2") }
    }
    location /foo {
        content_by_lua_block { ngx.say(ngx.var.args) }
    }
--- request
GET /main
--- response_body
a=1&b=2



=== TEST 5: exec to a named location
--- config
    location /main {
        content_by_lua_block { ngx.exec("@named") }
    }
    location @named {
        content_by_lua_block { ngx.say("named: ", ngx.var.uri) }
    }
--- request
GET /main
--- response_body
named: /main



=== TEST 6: exec after output
--- config
    location /main {
        content_by_lua_block {
            ngx.say("hi")
            ngx.exec("/foo")
        }
    }
    location /foo {
        content_by_lua_block { ngx.say("foo") }
    }
--- request
GET /main
--- ignore_response
--- error_log
attempt to call ngx.exec after sending out response headers



=== TEST 7: exec an empty uri
--- config
    location /main {
        content_by_lua_block { ngx.exec("") }
    }
--- request
GET /main
--- error_code: 500
--- error_log
The uri argument is empty



=== TEST 8: exec from rewrite to a static file
--- config
    location /main {
        rewrite_by_lua_block { ngx.exec("/a.txt") }
    }
--- user_files
>>> a.txt
static a
--- request
GET /main
--- response_body
static a



=== TEST 9: exec makes the request internal
--- config
    location /main {
        content_by_lua_block { ngx.exec("/int") }
    }
    location /int {
        internal;
        content_by_lua_block { ngx.say("internal: ", ngx.req.is_internal()) }
    }
--- request
GET /main
--- response_body
internal: true



=== TEST 10: exec to an unsafe uri
--- config
    location /main {
        content_by_lua_block { ngx.exec("/../etc/passwd") }
    }
--- request
GET /main
--- error_code: 500
--- error_log
unsafe uri
