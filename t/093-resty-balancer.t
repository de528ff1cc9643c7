# vim:set ft= ts=4 sw=4 et fdm=marker:
# resty.roundrobin and resty.chash (lua-resty-balancer's API in pure Lua).
# nginx has no copy of them: init_by_lua preloads ours from the source tree
# so that the reference runs the same code.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = q{
    init_by_lua_block {
        local dir = ngx.config.prefix() .. "../../lua/resty/"
        package.preload["resty.roundrobin"] =
            assert(loadfile(dir .. "roundrobin.lua"))
        package.preload["resty.chash"] = assert(loadfile(dir .. "chash.lua"))
    }
};

run_tests();

__DATA__

=== TEST 1: roundrobin respects weights
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block {
            local rr = require "resty.roundrobin"
            local obj = rr:new({ a = 3, b = 1 })
            local count = { a = 0, b = 0 }
            for _ = 1, 400 do
                local id = obj:find()
                count[id] = count[id] + 1
            end
            ngx.say("a=", count.a, " b=", count.b)
        }
    }
--- request
GET /t
--- response_body
a=300 b=100
--- no_error_log
[error]



=== TEST 2: roundrobin set, incr, decr, delete, reinit
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block {
            local rr = require "resty.roundrobin"
            local obj = rr:new({ a = 1, b = 1 })
            local function dist(n)
                local c = {}
                for _ = 1, n do
                    local id = obj:next()
                    c[id] = (c[id] or 0) + 1
                end
                local keys = {}
                for k, v in pairs(c) do keys[#keys + 1] = k .. "=" .. v end
                table.sort(keys)
                return table.concat(keys, " ")
            end
            ngx.say(dist(10))
            obj:set("b", 4)
            ngx.say(dist(10))
            obj:decr("b", 3)
            obj:incr("c", 2)
            ngx.say(dist(8))
            obj:delete("a")
            ngx.say(dist(6))
            obj:reinit({ z = 5 })
            ngx.say(dist(3))
        }
    }
--- request
GET /t
--- response_body
a=5 b=5
a=2 b=8
a=2 b=2 c=4
b=2 c=4
z=3
--- no_error_log
[error]



=== TEST 3: roundrobin with no nodes raises
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block {
            local rr = require "resty.roundrobin"
            local ok, err = pcall(rr.new, rr, {})
            ngx.say(ok, " ", err:match("empty nodes"))
        }
    }
--- request
GET /t
--- response_body
false empty nodes
--- no_error_log
[error]



=== TEST 4: chash is stable per key and next walks the ring
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block {
            local chash = require "resty.chash"
            local obj = chash:new({ a = 1, b = 1, c = 1 })
            local first, idx = obj:find("user-42")
            local same = true
            for _ = 1, 20 do
                if obj:find("user-42") ~= first then same = false end
            end
            ngx.say("stable: ", same)
            local id2, idx2 = obj:next(idx)
            ngx.say("next index: ", idx2 == idx + 1 or idx2 == 1)
            local seen = {}
            for i = 1, 300 do
                seen[obj:find("k" .. i)] = true
            end
            ngx.say("all used: ", seen.a and seen.b and seen.c)
        }
    }
--- request
GET /t
--- response_body
stable: true
next index: true
all used: true
--- no_error_log
[error]



=== TEST 5: chash moves only the keys of a deleted node
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block {
            local chash = require "resty.chash"
            local obj = chash:new({ a = 1, b = 1, c = 1 })
            local before = {}
            for i = 1, 300 do before[i] = obj:find("k" .. i) end
            obj:delete("c")
            local moved_wrong = 0
            for i = 1, 300 do
                local now = obj:find("k" .. i)
                if before[i] ~= "c" and now ~= before[i] then
                    moved_wrong = moved_wrong + 1
                end
                if now == "c" then moved_wrong = moved_wrong + 1 end
            end
            ngx.say("moved wrongly: ", moved_wrong)
        }
    }
--- request
GET /t
--- response_body
moved wrongly: 0
--- no_error_log
[error]



=== TEST 6: roundrobin drives balancer_by_lua (weights 2:1)
--- http_config eval
$::HttpConfig . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "one\n"; }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / { return 200 "three\n"; }
    }
    init_worker_by_lua_block {
        local rr = require "resty.roundrobin"
        package.loaded.my_rr = rr:new({
            ["127.0.0.1:\$TEST_NGINX_RAND_PORT_1"] = 2,
            ["127.0.0.1:\$TEST_NGINX_RAND_PORT_3"] = 1,
        })
    }
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local id = package.loaded.my_rr:find()
            assert(b.set_current_peer(id))
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t"]
--- response_body eval
[ "one\n", "three\n", "one\n", "one\n" ]
--- no_error_log
[error]
