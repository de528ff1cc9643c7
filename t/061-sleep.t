# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.sleep on the worker's timer heap (ngx_http_lua_sleep.c).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: sleep 0.1 in content
--- config
    location = /t {
        content_by_lua_block {
            ngx.update_time()
            local before = ngx.now()
            ngx.sleep(0.1)
            ngx.update_time()
            local elapsed = ngx.now() - before
            ngx.say(elapsed >= 0.09 and elapsed < 0.5)
        }
    }
--- request
GET /t
--- response_body
true
--- no_error_log
[error]



=== TEST 2: sleep 0 yields and comes back
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("a")
            ngx.sleep(0)
            ngx.say("b")
        }
    }
--- request
GET /t
--- response_body
a
b



=== TEST 3: sleeps in rewrite and access
--- config
    location = /t {
        rewrite_by_lua_block { ngx.sleep(0.01) ngx.ctx.r = "rewrite" }
        access_by_lua_block { ngx.sleep(0.01) ngx.ctx.a = "access" }
        content_by_lua_block { ngx.say(ngx.ctx.r, " ", ngx.ctx.a) }
    }
--- request
GET /t
--- response_body
rewrite access



=== TEST 4: bad sleep argument
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.sleep, -1)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_like
^false invalid sleep duration "-1000"$



=== TEST 5: sleep disabled in header_filter_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            local ok, err = pcall(ngx.sleep, 0.01)
            ngx.log(ngx.WARN, "sleep: ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
sleep: API disabled in the context of header_filter_by_lua*



=== TEST 6: many concurrent sleeps in timers finish in deadline order
--- config
    location = /t {
        content_by_lua_block {
            local order = {}
            for i = 5, 1, -1 do
                assert(ngx.timer.at(0, function()
                    ngx.sleep(i * 0.01)
                    order[#order + 1] = i
                end))
            end
            ngx.sleep(0.1)
            ngx.say(table.concat(order, " "))
        }
    }
--- request
GET /t
--- response_body
1 2 3 4 5
