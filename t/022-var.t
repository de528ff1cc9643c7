# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.var: ported from lua-nginx-module t/045-ngx-var.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: set indexed variables to nil
--- config
    location = /test {
        set $var 32;
        content_by_lua_block {
            ngx.say("old: ", ngx.var.var)
            ngx.var.var = nil
            ngx.say("new: ", ngx.var.var)
        }
    }
--- request
GET /test
--- response_body
old: 32
new: nil



=== TEST 2: set variables to a number
--- config
    location = /test {
        set $var "";
        content_by_lua_block {
            ngx.var.var = 56
            ngx.say("var: ", ngx.var.var, " ", type(ngx.var.var))
        }
    }
--- request
GET /test
--- response_body
var: 56 string



=== TEST 3: built-in variables
--- config
    location = /test {
        content_by_lua_block {
            ngx.say("uri: ", ngx.var.uri)
            ngx.say("args: ", ngx.var.args)
            ngx.say("arg_a: ", ngx.var.arg_a)
            ngx.say("arg_b: ", ngx.var.arg_b)
            ngx.say("method: ", ngx.var.request_method)
            ngx.say("http_foo: ", ngx.var.http_foo)
            ngx.say("cookie_c: ", ngx.var.cookie_c)
            ngx.say("request_uri: ", ngx.var.request_uri)
            ngx.say("server_addr: ", ngx.var.server_addr)
            ngx.say("remote_addr: ", ngx.var.remote_addr)
        }
    }
--- request
GET /test?a=1&b=%20x
--- more_headers
Foo: bar
Cookie: c=cv; d=1
--- response_body
uri: /test
args: a=1&b=%20x
arg_a: 1
arg_b: %20x
method: GET
http_foo: bar
cookie_c: cv
request_uri: /test?a=1&b=%20x
server_addr: 127.0.0.1
remote_addr: 127.0.0.1



=== TEST 4: regex captures by number
--- config
    location ~ '^/(\w+)/(\d+)$' {
        content_by_lua_block {
            ngx.say(ngx.var[1], " ", ngx.var[2], " ", ngx.var[3])
        }
    }
--- request
GET /foo/42
--- response_body
foo 42 nil



=== TEST 5: undefined variable reads nil
--- config
    location = /test {
        content_by_lua_block { ngx.say(ngx.var.does_not_exist) }
    }
--- request
GET /test
--- response_body
nil



=== TEST 6: assigning an undefined variable fails
--- config
    location = /test {
        content_by_lua_block { ngx.var.does_not_exist = "a" }
    }
--- request
GET /test
--- error_code: 500
--- error_log
variable "does_not_exist" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $does_not_exist '';" in the config file to define it first



=== TEST 7: not changeable built-in variable
--- config
    location = /test {
        content_by_lua_block { ngx.var.uri = "/a" }
    }
--- request
GET /test
--- error_code: 500
--- error_log
variable "uri" not changeable



=== TEST 8: $args is changeable
--- config
    location = /test {
        content_by_lua_block {
            ngx.var.args = "x=1"
            ngx.say(ngx.var.args, " ", ngx.var.arg_x)
        }
    }
--- request
GET /test?a=b
--- response_body
x=1 1



=== TEST 9: variable names are case-insensitive
--- config
    location = /test {
        set $Foo bar;
        content_by_lua_block { ngx.say(ngx.var.foo, " ", ngx.var.FOO) }
    }
--- request
GET /test
--- response_body
bar bar



=== TEST 10: set_by_lua variable read by content
--- config
    location = /test {
        set_by_lua_block $res { return 1 + 2 }
        content_by_lua_block { ngx.say(ngx.var.res) }
    }
--- request
GET /test
--- response_body
3



=== TEST 11: ngx.var in log_by_lua
--- config
    location = /test {
        set $v hello;
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.log(ngx.WARN, "v=", ngx.var.v, " status=", ngx.var.status) }
    }
--- request
GET /test
--- response_body
ok
--- error_log
v=hello status=200
