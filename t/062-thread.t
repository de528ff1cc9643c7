# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.thread.spawn / wait / kill (ngx_http_lua_uthread.c).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: spawn runs until the first yield, wait returns results
--- config
    location = /t {
        content_by_lua_block {
            local function f(a, b)
                ngx.say("f start ", a)
                ngx.sleep(0.01)
                ngx.say("f end")
                return a + b, "x"
            end
            local t = ngx.thread.spawn(f, 1, 2)
            ngx.say("spawned ", type(t))
            ngx.say(ngx.thread.wait(t))
            ngx.say(ngx.thread.wait(t))
        }
    }
--- request
GET /t
--- response_body
f start 1
spawned thread
f end
true3x
nilalready waited or killed
--- no_error_log
[error]



=== TEST 2: wait any
--- config
    location = /t {
        content_by_lua_block {
            local function f(n) ngx.sleep(n) return n end
            local a = ngx.thread.spawn(f, 0.05)
            local b = ngx.thread.spawn(f, 0.01)
            local ok, res = ngx.thread.wait(a, b)
            ngx.say(ok, " ", res)
            ok, res = ngx.thread.wait(a, b)
            ngx.say(ok, " ", res)
        }
    }
--- request
GET /t
--- response_body
true 0.01
nil already waited or killed



=== TEST 3: the request waits for light threads after the entry returns
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.02)
                ngx.say("late thread")
            end)
            ngx.say("entry done")
        }
    }
--- request
GET /t
--- response_body
entry done
late thread



=== TEST 4: ngx.exit in the entry thread kills light threads
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.05)
                ngx.log(ngx.ERR, "should not run")
            end)
            ngx.say("bye")
            ngx.exit(200)
        }
    }
--- request
GET /t
--- response_body
bye
--- wait: 0.1
--- no_error_log
should not run



=== TEST 5: error in a light thread
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function()
                error("oops")
            end)
            local ok, err = ngx.thread.wait(t)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_like
^false oops$
--- error_log eval
qr/lua user thread aborted: runtime error: content_by_lua\(nginx.conf:\d+\):3: oops/



=== TEST 6: kill
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function()
                ngx.sleep(0.05)
                ngx.log(ngx.ERR, "should not run")
            end)
            ngx.say(ngx.thread.kill(t))
            ngx.say(ngx.thread.kill(t))
            ngx.say(ngx.thread.wait(t))
            ngx.sleep(0.1)
        }
    }
--- request
GET /t
--- response_body
1
nilalready waited or killed
nilalready waited or killed
--- no_error_log
should not run



=== TEST 7: bad arguments
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.thread.spawn, "foo")
            ngx.say(err)
            ok, err = pcall(ngx.thread.wait, "foo")
            ngx.say(err)
            ok, err = pcall(ngx.thread.kill, "foo")
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body
bad argument #1 to '?' (Lua function expected)
bad argument #1 to '?' (lua thread expected)
bad argument #1 to '?' (lua thread expected)



=== TEST 8: spawn in a timer, the timer waits for its threads
--- config
    location = /t {
        content_by_lua_block {
            assert(ngx.timer.at(0, function()
                ngx.thread.spawn(function()
                    ngx.sleep(0.01)
                    ngx.log(ngx.WARN, "thread in timer done")
                end)
            end))
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
thread in timer done



=== TEST 9: spawn disabled in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local ok, err = pcall(ngx.thread.spawn, function() end)
            ngx.log(ngx.WARN, "spawn: ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
spawn: API disabled in the context of log_by_lua*



=== TEST 10: only the parent can wait
--- config
    location = /t {
        content_by_lua_block {
            local t1
            local t2 = ngx.thread.spawn(function()
                ngx.sleep(0.01)
                local ok, err = pcall(ngx.thread.wait, t1)
                ngx.say(err)
            end)
            t1 = ngx.thread.spawn(function() ngx.sleep(0.05) end)
            ngx.thread.wait(t2)
            ngx.thread.wait(t1)
        }
    }
--- request
GET /t
--- response_body
only the parent coroutine can wait on the thread



=== TEST 11: ngx.on_abort without lua_check_client_abort
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.on_abort(function() end))
        }
    }
--- request
GET /t
--- response_body
nillua_check_client_abort is off



=== TEST 12: coroutine.status of light threads
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() ngx.sleep(0.01) return 1 end)
            ngx.say("waiting: ", coroutine.status(t))
            local t2 = ngx.thread.spawn(function() return 2 end)
            ngx.say("finished: ", coroutine.status(t2))
            ngx.thread.wait(t)
            ngx.say("waited: ", coroutine.status(t))
            ngx.thread.kill(t2)
            ngx.say("killed zombie: ", coroutine.status(t2))
        }
    }
--- request
GET /t
--- response_body
waiting: running
finished: zombie
waited: dead
killed zombie: dead
