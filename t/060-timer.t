# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.timer.at / every / running_count / pending_count (ngx_http_lua_timer.c).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: timer.at runs the callback with premature false and its args
--- config
    location = /t {
        content_by_lua_block {
            local function f(premature, a, b)
                ngx.log(ngx.WARN, "timer fired: premature=", tostring(premature),
                        " a=", a, " b=", b, " phase=", ngx.get_phase())
            end
            local ok, err = ngx.timer.at(0.05, f, "x", 42)
            ngx.say("ok: ", ok, " err: ", err)
            ngx.say("pending: ", ngx.timer.pending_count())
        }
    }
--- request
GET /t
--- response_body
ok: 1 err: nil
pending: 1
--- wait: 0.2
--- error_log
timer fired: premature=false a=x b=42 phase=timer
--- no_error_log
[error]



=== TEST 2: timer callback outlives the request and can sleep
--- config
    location = /t {
        content_by_lua_block {
            local begin = ngx.now()
            local function f(premature)
                ngx.sleep(0.05)
                ngx.log(ngx.WARN, "slept in timer, running=",
                        ngx.timer.running_count())
            end
            assert(ngx.timer.at(0, f))
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- wait: 0.2
--- error_log
slept in timer, running=1
--- no_error_log
[error]



=== TEST 3: error in a timer callback
--- config
    location = /t {
        content_by_lua_block {
            assert(ngx.timer.at(0, function() error("bad thing") end))
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log eval
[qr/lua entry thread aborted: runtime error: content_by_lua\(nginx.conf:\d+\):2: bad thing/,
qr/context: ngx\.timer/]



=== TEST 4: bad arguments
--- config
    location = /t {
        content_by_lua_block {
            local f = function() end
            local function try(...)
                local ok, err = pcall(...)
                ngx.say(ok, " ", err)
            end
            try(function() local a = ngx.timer.at(1) return a end)
            try(function() local a = ngx.timer.at("abc", f) return a end)
            try(function() local a = ngx.timer.at(1, "foo") return a end)
            try(function() local a = ngx.timer.every(0, f) return a end)
        }
    }
--- request
GET /t
--- response_body_like chomp
\Afalse content_by_lua\(nginx.conf:\d+\):7: expecting at least 2 arguments but got 1
false content_by_lua\(nginx.conf:\d+\):8: bad argument #1 to 'at' \(number expected, got string\)
false content_by_lua\(nginx.conf:\d+\):9: bad argument #2 to 'at' \(Lua function expected\)
false content_by_lua\(nginx.conf:\d+\):10: delay cannot be zero
\z
--- no_error_log
[error]



=== TEST 5: too many pending timers
--- http_config
    lua_max_pending_timers 2;
--- config
    location = /t {
        content_by_lua_block {
            local f = function() end
            for i = 1, 3 do
                local ok, err = ngx.timer.at(10, f)
                ngx.say(i, ": ", ok, " ", err)
            end
        }
    }
--- request
GET /t
--- response_body
1: 1 nil
2: 1 nil
3: nil too many pending timers
--- no_error_log
[error]



=== TEST 6: timer.every repeats
--- config
    location = /t {
        content_by_lua_block {
            local n = 0
            local ok, err = ngx.timer.every(0.02, function(premature)
                n = n + 1
                if n <= 3 then
                    ngx.log(ngx.WARN, "tick ", n)
                end
            end)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
1 nil
--- wait: 0.2
--- error_log
tick 1
tick 2
tick 3



=== TEST 7: lua_max_running_timers
--- http_config
    lua_max_running_timers 1;
--- config
    location = /t {
        content_by_lua_block {
            local function f() ngx.sleep(0.05) end
            assert(ngx.timer.at(0, f))
            assert(ngx.timer.at(0, f))
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.2
--- error_log eval
qr/\[alert\] .*lua failed to run timer with function defined at =content_by_lua\(nginx.conf:\d+\):2: 1 lua_max_running_timers are not enough/



=== TEST 8: timer created in init_worker_by_lua
--- http_config
    init_worker_by_lua_block {
        assert(ngx.timer.at(0, function(premature)
            ngx.log(ngx.WARN, "init worker timer: ", ngx.get_phase())
        end))
    }
--- config
    location = /t {
        content_by_lua_block { ngx.sleep(0.05) ngx.say("ok") }
    }
--- request
GET /t
--- response_body
ok
--- error_log
init worker timer: timer



=== TEST 9: ngx.timer.at is disabled in exit_worker... and fine in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local ok, err = ngx.timer.at(0, function()
                ngx.log(ngx.WARN, "timer from log phase")
            end)
            if not ok then ngx.log(ngx.ERR, "failed: ", err) end
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
timer from log phase
--- no_error_log
[error]



=== TEST 10: ngx.sleep is disabled in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local ok, err = pcall(ngx.sleep, 0.1)
            ngx.log(ngx.WARN, "sleep: ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
sleep: API disabled in the context of log_by_lua*
