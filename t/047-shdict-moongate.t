# vim:set ft= ts=4 sw=4 et fdm=marker:
# Where moongate's shared dictionaries do better than ngx_lua's (so these
# tests are moongate-only: nginx fails the first on fragmentation and lacks
# persist= and usage()).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_long_string();

run_tests();

__DATA__

=== TEST 1: no false "no memory" after fragmentation
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            local small = string.rep("s", 64)
            local n = 0
            while true do
                n = n + 1
                local ok, err, forcible = dogs:safe_set("k" .. n, small)
                if not ok then break end
            end
            -- delete half of them at random
            math.randomseed(42)
            local deleted = 0
            for i = 1, n do
                if math.random() < 0.5 then
                    dogs:delete("k" .. i)
                    deleted = deleted + 1
                end
            end
            local big = string.rep("B", 640)
            local stored, failures = 0, 0
            for i = 1, 100000 do
                local before = dogs:free_space()
                local ok, err = dogs:safe_set("big" .. i, big)
                if not ok then
                    -- only acceptable when there truly is no room left
                    if before >= 640 + 200 then
                        failures = failures + 1
                        ngx.say("false no memory with ", before, " free")
                    end
                    break
                end
                stored = stored + 1
            end
            ngx.say("deleted ", deleted > n / 3, ", stored ", stored > 400,
                    ", failures ", failures)
        }
    }
--- request
GET /test
--- response_body
deleted true, stored true, failures 0
--- no_error_log
[error]



=== TEST 2: usage() reports the zone's counters
--- http_config
    lua_shared_dict dogs 64k;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("a", 1)
            dogs:set("b", "two")
            local u = dogs:usage()
            ngx.say(u.capacity, " ", u.items, " ",
                    u.free_space == dogs:free_space(), " ", u.evictions)
        }
    }
--- request
GET /test
--- response_body
65536 2 true 0



=== TEST 3: persist= writes the zone on stop
--- http_config
    lua_shared_dict dogs 64k persist=logs/dogs.dump;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("kept", "across restarts")
            dogs:set("flags", 7, 0, 3)
            dogs:set("gone", "soon", 0.001)
            ngx.say("ok")
        }
    }
--- request
GET /test
--- response_body
ok



=== TEST 4: persist= loads the zone on start (expiry honoured)
--- http_config
    lua_shared_dict dogs 64k persist=logs/dogs.dump;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            ngx.say(dogs:get("kept"))
            ngx.say(dogs:get("flags"))
            ngx.say(dogs:get("gone"))
        }
    }
--- request
GET /test
--- response_body
across restarts
73
nil
--- error_log
lua_shared_dict "dogs": loaded



=== TEST 5: bad persist parameter is refused
--- http_config
    lua_shared_dict dogs 64k keep=1;
--- config
    location = /test {
        return 200;
    }
--- must_die
--- error_log
invalid parameter "keep=1" in "lua_shared_dict" directive
