# vim:set ft= ts=4 sw=4 et fdm=marker:
# The shared dictionary's hot calls stay JIT-compiled (lua-resty-core's tests
# make the same check with --- no_error_log NYI:). jit.v is LuaJIT's own module.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: get/set/incr loop without NYI
--- http_config
    lua_package_path "/usr/share/luajit-2.1.0-beta3/?.lua;;";
    lua_shared_dict dogs 1m;
--- config
    location /jit {
        content_by_lua_block {
            local v = require "jit.v"
            local path = ngx.config.prefix() .. "logs/jitv.log"
            local dogs = ngx.shared.dogs
            v.on(path)
            local s = 0
            for i = 1, 500 do
                dogs:set("k", i)
                s = s + dogs:get("k")
                dogs:incr("n", 1, 0)
            end
            v.off()
            ngx.say(s, " ", dogs:get("n"))
            local f = io.open(path)
            local log = f:read("*a")
            f:close()
            for line in log:gmatch("[^\n]+") do
                if line:find("NYI", 1, true)
                   and not line:find("return to lower frame", 1, true)
                then
                    ngx.log(ngx.ERR, "jit.v: ", line)
                end
            end
            ngx.log(ngx.WARN, "traces: ",
                    select(2, log:gsub("%[TRACE%s+%d+ ", "")) > 0)
        }
    }
--- request
GET /jit
--- response_body
125250 500
--- error_log
traces: true
--- no_error_log
NYI
[error]
