# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.semaphore (lua-resty-core lib/ngx/semaphore.lua).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: post wakes a waiting light thread
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new()
            local t = ngx.thread.spawn(function()
                ngx.say("waiting")
                local ok, err = sema:wait(1)
                ngx.say("wait: ", ok, " ", err)
            end)
            ngx.say("count: ", sema:count())
            ngx.say("post: ", sema:post())
            ngx.thread.wait(t)
            ngx.say("count: ", sema:count())
        }
    }
--- request
GET /t
--- response_body
waiting
count: -1
post: true
wait: true nil
count: 0
--- no_error_log
[error]



=== TEST 2: wait timeout
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new(0)
            ngx.say(sema:wait(0.01))
            ngx.say(sema:wait(0))
        }
    }
--- request
GET /t
--- response_body
falsetimeout
niltimeout



=== TEST 3: resources are taken without waiting
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new(2)
            ngx.say(sema:wait(0), " ", sema:wait(0), " ", sema:count())
            sema:post(3)
            ngx.say(sema:count())
        }
    }
--- request
GET /t
--- response_body
true true 0
3



=== TEST 4: bad input
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            ngx.say(pcall(semaphore.new, -1))
            local sema = semaphore.new(1)
            ngx.say(pcall(sema.wait, {}, 1))
            ngx.say(pcall(sema.post, sema, 0))
            ngx.say(pcall(sema.wait, sema, -1))
        }
    }
--- request
GET /t
--- response_body
falseno negative number
falsenot a semaphore instance
falsepositive number required
falseno negative number



=== TEST 5: wait is disabled in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new(0)
            local ok, err = sema:wait(0.1)
            ngx.log(ngx.WARN, "wait: ", ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
wait: nil API disabled in the context of log_by_lua*



=== TEST 6: a timer posts to a request
--- config
    location = /t {
        content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local sema = semaphore.new()
            assert(ngx.timer.at(0.01, function() sema:post(1) end))
            ngx.say(sema:wait(1))
        }
    }
--- request
GET /t
--- response_body
truenil
