# vim:set ft= ts=4 sw=4 et fdm=marker:
# log_by_lua*: ported from lua-nginx-module t/075-logby.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: log_by_lua_block
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.log(ngx.ERR, "Hello from log_by_lua: ", ngx.var.uri) }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
Hello from log_by_lua: /lua



=== TEST 2: log_by_lua_file
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_file html/a.lua;
    }
--- user_files
>>> a.lua
ngx.log(ngx.ERR, "Hello from log_by_lua_file: ", ngx.var.uri)
--- request
GET /lua
--- response_body
ok
--- error_log
Hello from log_by_lua_file: /lua



=== TEST 3: log_by_lua sees the final status
--- config
    location /lua {
        return 404;
        log_by_lua_block { ngx.log(ngx.WARN, "status: ", ngx.status, " ", ngx.var.status) }
    }
--- request
GET /lua
--- error_code: 404
--- ignore_response
--- error_log
status: 404 404



=== TEST 4: runtime error
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { error("Bad") }
    }
--- request
GET /lua
--- response_body
ok
--- error_log eval
qr/failed to run log_by_lua\*: log_by_lua\(nginx\.conf:\d+\):1: Bad/



=== TEST 5: ngx.say in log_by_lua
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.say("hello") }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*



=== TEST 6: ngx.exit in log_by_lua
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.exit(503) }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*



=== TEST 7: ngx.sleep is disabled
--- config
    location /lua {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { ngx.sleep(0.001) }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*



=== TEST 8: inherited from server level
--- config
    log_by_lua_block { ngx.log(ngx.WARN, "server level log: ", ngx.var.uri) }
    location /lua {
        content_by_lua_block { ngx.say("ok") }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
server level log: /lua



=== TEST 9: response headers readable
--- config
    location /lua {
        content_by_lua_block { ngx.header.foo = "bar" ngx.say("ok") }
        log_by_lua_block { ngx.log(ngx.WARN, "foo: ", ngx.header.foo) }
    }
--- request
GET /lua
--- response_body
ok
--- error_log
foo: bar
