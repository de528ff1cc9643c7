# Variables declared by `set` somewhere but not set in this request: nginx gives the
# empty value and warns "using uninitialized ... variable" once per request (the value is
# cached), unless uninitialized_variable_warn is off. Also the error-log context of
# subrequests and of requests with a Referer.

use Test::Nginx::Socket::Lua;

repeat_each(1);
plan tests => repeat_each() * (blocks() * 3);

run_tests();

__DATA__

=== TEST 1: ngx.var of a declared but unset variable, in a request and its subrequest
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(type(ngx.var.foo), ":[", ngx.var.foo, "]")
            local res = ngx.location.capture("/sub")
            ngx.print(res.body)
        }
    }
    location = /sub {
        content_by_lua_block { ngx.say("sub ", type(ngx.var.foo), ":[", ngx.var.foo, "]") }
    }
    location = /other { set $foo 1; return 200; }
--- request
GET /t
--- response_body
string:[]
sub string:[]
--- error_log eval
[
qr/\[warn\] .*using uninitialized "foo" variable, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost"/,
qr/\[warn\] .*using uninitialized "foo" variable, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", subrequest: "\/sub", host: "localhost"/,
]



=== TEST 2: in a complex value, and silent with uninitialized_variable_warn off
--- config
    location = /t {
        uninitialized_variable_warn off;
        return 200 "[$foo]\n";
    }
    location = /other { set $foo 1; return 200; }
--- request
GET /t
--- response_body
[]
--- no_error_log
using uninitialized



=== TEST 3: set to nil from Lua reads back nil, without a warning
--- config
    location = /t {
        set $foo "";
        content_by_lua_block {
            ngx.var.foo = nil
            ngx.say(type(ngx.var.foo))
            ngx.var.foo = "x"
            ngx.say(ngx.var.foo)
        }
    }
--- request
GET /t
--- response_body
nil
x
--- no_error_log
using uninitialized



=== TEST 4: the Referer goes into the error-log context
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.ERR, "look here")
            ngx.say("ok")
        }
    }
--- request
GET /t
--- more_headers
Referer: http://example.test/from
--- response_body
ok
--- error_log eval
qr/\[error\] .*look here, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost", referrer: "http:\/\/example\.test\/from"/
