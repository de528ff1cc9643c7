# vim:set ft= ts=4 sw=4 et fdm=marker:
# Waiting APIs where a yield is impossible: the errors ngx_lua raises.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: set_by_lua
--- config
    location = /t {
        set_by_lua_block $res {
            local out = {}
            local ok, err = pcall(ngx.sleep, 0.01)
            out[#out + 1] = "sleep: " .. tostring(err)
            ok, err = pcall(ngx.socket.tcp)
            out[#out + 1] = "tcp: " .. tostring(err)
            ok, err = pcall(ngx.socket.udp)
            out[#out + 1] = "udp: " .. tostring(err)
            ok, err = pcall(ngx.thread.spawn, function() end)
            out[#out + 1] = "spawn: " .. tostring(err)
            local sema = require("ngx.semaphore").new(0)
            ok, err = sema:wait(0.01)
            out[#out + 1] = "sema: " .. tostring(err)
            ok, err = ngx.timer.at(0, function() end)
            out[#out + 1] = "timer: " .. tostring(ok)
            return table.concat(out, "\n")
        }
        return 200 "$res\n";
    }
--- request
GET /t
--- response_body
sleep: API disabled in the context of set_by_lua*
tcp: API disabled in the context of set_by_lua*
udp: API disabled in the context of set_by_lua*
spawn: API disabled in the context of set_by_lua*
sema: API disabled in the context of set_by_lua*
timer: 1



=== TEST 2: body_filter_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        body_filter_by_lua_block {
            if ngx.arg[2] then
                local ok, err = pcall(ngx.sleep, 0.01)
                ngx.log(ngx.WARN, "sleep: ", err)
                ok, err = pcall(ngx.socket.tcp)
                ngx.log(ngx.WARN, "tcp: ", err)
            end
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
sleep: API disabled in the context of body_filter_by_lua*
tcp: API disabled in the context of body_filter_by_lua*



=== TEST 3: init_worker_by_lua
--- http_config
    init_worker_by_lua_block {
        local ok, err = pcall(ngx.sleep, 0.01)
        ngx.log(ngx.WARN, "iw sleep: ", err)
        ok, err = pcall(ngx.socket.tcp)
        ngx.log(ngx.WARN, "iw tcp: ", err)
    }
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log
iw sleep: API disabled in the context of init_worker_by_lua*
iw tcp: API disabled in the context of init_worker_by_lua*



=== TEST 4: init_by_lua
--- http_config
    init_by_lua_block {
        local ok, err = pcall(ngx.sleep, 0.01)
        init_sleep = err
        ok, err = pcall(ngx.socket.tcp)
        init_tcp = err
        ok, err = pcall(ngx.timer.at, 0, function() end)
        init_timer = err
    }
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("sleep: ", init_sleep)
            ngx.say("tcp: ", init_tcp)
            ngx.say("timer: ", init_timer)
        }
    }
--- request
GET /t
--- response_body
sleep: no request found
tcp: no request found
timer: no request
