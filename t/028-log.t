# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.log and print: ported from lua-nginx-module t/009-log.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();
log_level('debug');

run_tests();

__DATA__

=== TEST 1: test log-level STDERR
--- config
    location /log {
        content_by_lua_block {
            ngx.say("before log")
            ngx.log(ngx.STDERR, "hello, log", 1234, 3.14159)
            ngx.say("after log")
        }
    }
--- request
GET /log
--- response_body
before log
after log
--- error_log eval
qr/\[\] \S+: \S+ \[lua\] content_by_lua\(nginx\.conf:\d+\):3: hello, log12343.14159/



=== TEST 2: test log-level ERR
--- config
    location /log {
        content_by_lua_block {
            ngx.log(ngx.ERR, "hello, log", 1234, 3.14159)
            ngx.say("ok")
        }
    }
--- request
GET /log
--- response_body
ok
--- error_log eval
qr/\[error\] \S+: \S+ \[lua\] content_by_lua\(nginx\.conf:\d+\):2: hello, log12343\.14159/



=== TEST 3: levels
--- config
    location /log {
        content_by_lua_block {
            ngx.log(ngx.WARN, "warn msg")
            ngx.log(ngx.NOTICE, "notice msg")
            ngx.log(ngx.INFO, "info msg")
            ngx.log(ngx.DEBUG, "debug msg")
            ngx.log(ngx.CRIT, "crit msg")
            ngx.log(ngx.ALERT, "alert msg")
            ngx.say("ok")
        }
    }
--- request
GET /log
--- response_body
ok
--- error_log eval
[
qr/\[warn\] .*? warn msg/,
qr/\[notice\] .*? notice msg/,
qr/\[info\] .*? info msg/,
qr/\[debug\] .*? debug msg/,
qr/\[crit\] .*? crit msg/,
qr/\[alert\] .*? alert msg/,
]



=== TEST 4: print is NOTICE
--- config
    location /log {
        content_by_lua_block {
            print("hello", " ", 32, nil, true)
            ngx.say("ok")
        }
    }
--- request
GET /log
--- response_body
ok
--- error_log eval
qr/\[notice\] .*? \[lua\] content_by_lua\(nginx\.conf:\d+\):2: hello 32niltrue/



=== TEST 5: log in a function shows the function name
--- config
    location /log {
        content_by_lua_block {
            local function foo()
                ngx.log(ngx.ERR, "in foo")
            end
            foo()
            ngx.say("ok")
        }
    }
--- request
GET /log
--- response_body
ok
--- error_log eval
qr/\[error\] .*? \[lua\] content_by_lua\(nginx\.conf:\d+\):3: foo\(\): in foo/



=== TEST 6: bad level
--- config
    location /log {
        content_by_lua_block {
            ngx.log(100, "bad")
        }
    }
--- request
GET /log
--- error_code: 500
--- error_log
bad log level



=== TEST 7: ngx.log with nil and booleans and tables
--- config
    location /log {
        content_by_lua_block {
            ngx.log(ngx.ERR, nil, " ", true, " ", false, " ", ngx.null)
            ngx.say("ok")
        }
    }
--- request
GET /log
--- response_body
ok
--- error_log
nil true false null



=== TEST 8: ngx.log with a table argument
--- config
    location /log {
        content_by_lua_block {
            ngx.log(ngx.ERR, {})
        }
    }
--- request
GET /log
--- error_code: 500
--- error_log
bad argument #1 to 'log' (expected table to have __tostring metamethod)



=== TEST 9: log in log_by_lua has no request line issues
--- config
    location /log {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.log(ngx.ERR, "from log phase") }
    }
--- request
GET /log
--- response_body
ok
--- error_log eval
qr/\[error\] .*? \[lua\] log_by_lua\(nginx\.conf:\d+\):1: from log phase.* request: "GET \/log HTTP\/1\.1"/
