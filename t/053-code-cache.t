# vim:set ft= ts=4 sw=4 et fdm=marker:
# lua_code_cache off: each request runs in a fresh Lua VM, ported from
# lua-nginx-module t/025-codecache.t (echo_location replaced by
# ngx.location.capture, html paths taken from ngx.config.prefix()).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    lua_package_path "$prefix/html/?.lua;;";
_EOC_

run_tests();

__DATA__

=== TEST 1: code cache on by default
--- config
    location /lua {
        content_by_lua_file html/test.lua;
    }
    location /update {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/test.lua", "w"))
            f:write("ngx.say(101)")
            f:close()
            ngx.say("updated")
        }
    }
    location /main {
        content_by_lua_block {
            for _, u in ipairs{"/lua", "/update", "/lua"} do
                ngx.print(ngx.location.capture(u).body)
            end
        }
    }
--- user_files
>>> test.lua
ngx.say(32)
--- request
GET /main
--- response_body
32
updated
32



=== TEST 2: code cache explicitly off
--- config
    location /lua {
        lua_code_cache off;
        content_by_lua_file html/test.lua;
    }
    location /update {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/test.lua", "w"))
            f:write("ngx.say(101)")
            f:close()
            ngx.say("updated")
        }
    }
--- user_files
>>> test.lua
ngx.say(32)
--- pipelined_requests eval
["GET /lua", "GET /update", "GET /lua"]
--- response_body eval
["32\n", "updated\n", "101\n"]



=== TEST 3: code cache off at server level, on again in the location
--- config
    lua_code_cache off;

    location /lua {
        lua_code_cache on;
        content_by_lua_file html/test.lua;
    }
    location /update {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/test.lua", "w"))
            f:write("ngx.say(101)")
            f:close()
            ngx.say("updated")
        }
    }
    location /main {
        content_by_lua_block {
            for _, u in ipairs{"/lua", "/update", "/lua"} do
                ngx.print(ngx.location.capture(u).body)
            end
        }
    }
--- user_files
>>> test.lua
ngx.say(32)
--- request
GET /main
--- response_body
32
updated
32



=== TEST 4: code cache off affects require (inline code)
--- http_config eval: $::HttpConfig
--- config
    location /lua {
        lua_code_cache off;
        content_by_lua_block {
            local foo = require "foo"
            ngx.say(foo.v)
        }
    }
    location /update {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/foo.lua", "w"))
            f:write("return { v = 102 }")
            f:close()
            ngx.say("updated")
        }
    }
--- user_files
>>> foo.lua
return { v = 32 }
--- pipelined_requests eval
["GET /lua", "GET /update", "GET /lua"]
--- response_body eval
["32\n", "updated\n", "102\n"]



=== TEST 5: code cache off affects require (set_by_lua_file)
--- http_config eval: $::HttpConfig
--- config
    location /lua {
        lua_code_cache off;
        set_by_lua_file $a html/test.lua;
        return 200 "$a\n";
    }
    location /update {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/foo.lua", "w"))
            f:write("return 102")
            f:close()
            ngx.say("updated")
        }
    }
--- user_files
>>> test.lua
return require "foo"
>>> foo.lua
return 32
--- pipelined_requests eval
["GET /lua", "GET /update", "GET /lua"]
--- response_body eval
["32\n", "updated\n", "102\n"]



=== TEST 6: code cache on keeps required modules (set_by_lua_file)
--- http_config eval: $::HttpConfig
--- config
    location /lua {
        lua_code_cache on;
        set_by_lua_file $a html/test.lua;
        return 200 "$a\n";
    }
    location /update {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/foo.lua", "w"))
            f:write("return 102")
            f:close()
            ngx.say("updated")
        }
    }
    location /main {
        content_by_lua_block {
            for _, u in ipairs{"/lua", "/update", "/lua"} do
                ngx.print(ngx.location.capture(u).body)
            end
        }
    }
--- user_files
>>> test.lua
return require "foo"
>>> foo.lua
return 32
--- request
GET /main
--- response_body
32
updated
32



=== TEST 7: builtin libraries stay usable
--- config
    location /lua {
        lua_code_cache off;
        content_by_lua_block {
            ngx.say(string.len("hello"))
            ngx.say(table.concat({1,2,3}, ", "))
        }
    }
    location /main {
        content_by_lua_block {
            for _, u in ipairs{"/lua", "/lua"} do
                ngx.print(ngx.location.capture(u).body)
            end
        }
    }
--- request
GET /main
--- response_body
5
1, 2, 3
5
1, 2, 3



=== TEST 8: globals do not survive between requests
--- config
    lua_code_cache off;
    location /t {
        content_by_lua_block {
            if not _G.foo then
                _G.foo = 1
            else
                _G.foo = _G.foo + 1
            end
            ngx.say("_G.foo: ", _G.foo)
        }
    }
--- pipelined_requests eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["_G.foo: 1\n", "_G.foo: 1\n", "_G.foo: 1\n"]



=== TEST 9: module state does not survive between requests
--- http_config eval: $::HttpConfig
--- config
    lua_code_cache off;
    location /t {
        content_by_lua_block {
            local counter = require "counter"
            ngx.say("count: ", counter.incr())
        }
    }
--- user_files
>>> counter.lua
local n = 0
return { incr = function () n = n + 1 return n end }
--- pipelined_requests eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["count: 1\n", "count: 1\n", "count: 1\n"]



=== TEST 10: with the cache on, module state survives
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block {
            local counter = require "counter"
            ngx.say("count: ", counter.incr())
        }
    }
--- user_files
>>> counter.lua
local n = 0
return { incr = function () n = n + 1 return n end }
--- pipelined_requests eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["count: 1\n", "count: 2\n", "count: 3\n"]



=== TEST 11: init_by_lua runs again in each request's VM (github #257)
--- http_config
    lua_code_cache off;
    init_by_lua_block {
        test = setfenv(
            function()
                ngx.say(tostring(table))
            end,
            setmetatable({}, {
                __index = function(self, key)
                    return rawget(self, key) or _G[key]
                end
            }))
        init_count = (init_count or 0) + 1
    }
--- config
    location = /t {
        content_by_lua_block {
            test()
            ngx.say("init count: ", init_count)
        }
    }
--- pipelined_requests eval
["GET /t", "GET /t"]
--- response_body_like eval
["^table: 0x\\w+\ninit count: 1\n\$", "^table: 0x\\w+\ninit count: 1\n\$"]
--- no_error_log
[error]



=== TEST 12: one VM for all phases of a request
--- config
    lua_code_cache off;
    location = /t {
        rewrite_by_lua_block { _G.phases = "rewrite" }
        access_by_lua_block { _G.phases = _G.phases .. ",access" }
        content_by_lua_block {
            ngx.say(_G.phases, ",content")
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "phases in log: ", _G.phases)
        }
    }
--- pipelined_requests eval
["GET /t", "GET /t"]
--- response_body eval
["rewrite,access,content\n", "rewrite,access,content\n"]
--- error_log
phases in log: rewrite,access



=== TEST 13: shared dicts are shared between the VMs
--- http_config
    lua_shared_dict dogs 1m;
--- config
    lua_code_cache off;
    location = /t {
        content_by_lua_block {
            local n = ngx.shared.dogs:incr("n", 1, 0)
            ngx.say("n: ", n)
        }
    }
--- pipelined_requests eval
["GET /t", "GET /t"]
--- response_body eval
["n: 1\n", "n: 2\n"]



=== TEST 14: a timer started with the cache off runs in its request's VM
--- config
    lua_code_cache off;
    location = /t {
        content_by_lua_block {
            _G.marker = "from the request"
            local ok, err = ngx.timer.at(0, function ()
                ngx.log(ngx.WARN, "timer sees: ", _G.marker)
            end)
            ngx.say(ok and "ok" or err)
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.2
--- error_log
timer sees: from the request



=== TEST 15: a syntax error in a _file with the cache off
--- config
    lua_code_cache off;
    location = /t {
        content_by_lua_file html/bad.lua;
    }
--- user_files
>>> bad.lua
ngx.say("oops"
--- request
GET /t
--- error_code: 500
--- error_log
failed to load external Lua file



=== TEST 16: a missing _file with the cache off
--- config
    lua_code_cache off;
    location = /t {
        content_by_lua_file html/nope.lua;
    }
--- request
GET /t
--- error_code: 404
--- error_log
failed to load external Lua file



=== TEST 17: subrequests run in the VM of their parent
--- config
    lua_code_cache off;
    location = /sub {
        content_by_lua_block {
            _G.hits = (_G.hits or 0) + 1
            ngx.say("sub hits: ", _G.hits)
        }
    }
    location = /t {
        content_by_lua_block {
            _G.hits = 10
            for i = 1, 2 do
                ngx.print(ngx.location.capture("/sub").body)
            end
            ngx.say("main hits: ", _G.hits)
        }
    }
--- pipelined_requests eval
["GET /t", "GET /t"]
--- response_body eval
["sub hits: 11\nsub hits: 12\nmain hits: 12\n", "sub hits: 11\nsub hits: 12\nmain hits: 12\n"]



=== TEST 18: init_by_lua failing in the request's VM gives a 500
--- http_config
    lua_shared_dict d 1m;
    lua_code_cache off;
    init_by_lua_block {
        local d = ngx.shared.d
        if d:get("x") then error("boom") end
        d:set("x", 1)
    }
--- config
    location = /t {
        content_by_lua_block { ngx.say("ran") }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/\[error\] .*?init_by_lua error: init_by_lua\(nginx\.conf:\d+\):3: boom/
--- no_error_log
ran



=== TEST 19: balancer_by_lua runs in the request's VM
--- http_config
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            local balancer = require "ngx.balancer"
            ngx.log(ngx.WARN, "balancer sees: ", _G.marker)
            assert(balancer.set_current_peer("127.0.0.1",
                                             tonumber(ngx.var.server_port)))
        }
    }
--- config
    location = /back {
        return 200 "backend\n";
    }
    location = /t {
        lua_code_cache off;
        rewrite_by_lua_block { _G.marker = "from rewrite" }
        proxy_pass http://backend/back;
    }
--- request
GET /t
--- response_body
backend
--- error_log
balancer sees: from rewrite
