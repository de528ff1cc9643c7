# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.shared.DICT (ported from lua-nginx-module's t/043-shdict.t, echo and
# subrequest sleeps replaced by content_by_lua and ngx.sleep).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_long_string();

run_tests();

__DATA__

=== TEST 1: string key, int value
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", 32)
            dogs:set("bah", 10502)
            local val = dogs:get("foo")
            ngx.say(val, " ", type(val))
            val = dogs:get("bah")
            ngx.say(val, " ", type(val))
        }
    }
--- request
GET /test
--- response_body
32 number
10502 number
--- no_error_log
[error]


=== TEST 2: floating-point and boolean values
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", 3.14159)
            dogs:set("t", true)
            dogs:set("f", false)
            ngx.say(dogs:get("foo"), " ", dogs:get("t"), " ", dogs:get("f"))
        }
    }
--- request
GET /test
--- response_body
3.14159 true false
--- no_error_log
[error]


=== TEST 3: number keys, string values
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local cats = ngx.shared.dogs
            ngx.say(cats:set(1234, "cat"))
            ngx.say(cats:set("1234", "dog"))
            ngx.say(cats:set(256, "bird"))
            ngx.say(cats:get(1234))
            local val = cats:get("256")
            ngx.say(val, " ", type(val))
        }
    }
--- request
GET /test
--- response_body
truenilfalse
truenilfalse
truenilfalse
dog
bird string
--- no_error_log
[error]


=== TEST 4: expired entries
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", 32, 0.01)
            dogs:set("bar", 33, 0.5)
            ngx.sleep(0.02)
            ngx.say(dogs:get("foo"), " ", dogs:get("bar"))
        }
    }
--- request
GET /test
--- response_body
nil 33
--- no_error_log
[error]


=== TEST 5: get_stale returns expired values with the stale flag
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", 32, 0.01, 7)
            ngx.sleep(0.02)
            ngx.say(dogs:get_stale("foo"))
        }
    }
--- request
GET /test
--- response_body
327true
--- no_error_log
[error]


=== TEST 6: flags
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", "bar", 0, 42)
            dogs:set("baz", "x")
            ngx.say(dogs:get("foo"))
            ngx.say(dogs:get("baz"))
        }
    }
--- request
GET /test
--- response_body
bar42
x
--- no_error_log
[error]


=== TEST 7: get non-existent keys and nil/empty/long keys
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            ngx.say(dogs:get("foo"))
            ngx.say(dogs:get(nil))
            ngx.say(dogs:get(""))
            ngx.say(dogs:set(string.rep("a", 65536), "x"))
            ngx.say(dogs:set(string.rep("a", 65535), "x"))
        }
    }
--- request
GET /test
--- response_body
nil
nilnil key
nilempty key
nilkey too long
truenilfalse
--- no_error_log
[error]


=== TEST 8: bad value type
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            local ok, err = dogs:set("foo", dogs)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /test
--- response_body
nil bad value type
--- no_error_log
[error]


=== TEST 9: delete and set nil
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", 32)
            dogs:delete("foo")
            ngx.say(dogs:get("foo"))
            dogs:set("foo", 1)
            dogs:set("foo", nil)
            ngx.say(dogs:get("foo"))
        }
    }
--- request
GET /test
--- response_body
nil
nil
--- no_error_log
[error]


=== TEST 10: add and replace
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("foo", 32)
            ngx.say("add: ", dogs:add("foo", 10502))
            ngx.say("add: ", dogs:add("bar", 1))
            ngx.say("replace: ", dogs:replace("baz", 2))
            ngx.say("replace: ", dogs:replace("foo", 3))
            ngx.say(dogs:get("foo"), " ", dogs:get("bar"))
        }
    }
--- request
GET /test
--- response_body
add: falseexistsfalse
add: truenilfalse
replace: falsenot foundfalse
replace: truenilfalse
3 1
--- no_error_log
[error]


=== TEST 11: incr
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            ngx.say(dogs:incr("n", 1))
            ngx.say(dogs:incr("n", 1, 10))
            ngx.say(dogs:incr("n", 5))
            ngx.say(dogs:incr("n", -2.5))
            dogs:set("s", "abc")
            ngx.say(dogs:incr("s", 1))
        }
    }
--- request
GET /test
--- response_body
nilnot found
11nilfalse
16
13.5
nilnot a number
--- no_error_log
[error]


=== TEST 12: incr with init_ttl
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            ngx.say(dogs:incr("n", 1, 0, 0.01))
            ngx.sleep(0.02)
            ngx.say(dogs:get("n"))
        }
    }
--- request
GET /test
--- response_body
1nilfalse
nil
--- no_error_log
[error]


=== TEST 13: lists
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            ngx.say(dogs:lpush("l", "a"))
            ngx.say(dogs:rpush("l", 2))
            ngx.say(dogs:lpush("l", "c"))
            ngx.say(dogs:llen("l"))
            ngx.say(dogs:lpop("l"), " ", dogs:rpop("l"), " ", dogs:lpop("l"), " ", dogs:lpop("l"))
            dogs:set("s", "x")
            ngx.say(dogs:lpush("s", "y"))
            dogs:lpush("l2", "y")
            ngx.say(dogs:get("l2"))
        }
    }
--- request
GET /test
--- response_body
1
2
3
3
c 2 a nil
nilvalue not a list
nilvalue is a list
--- no_error_log
[error]


=== TEST 14: ttl and expire
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            dogs:set("a", 1, 10)
            dogs:set("b", 1)
            local t = dogs:ttl("a")
            ngx.say(t > 9.9 and t <= 10)
            ngx.say(dogs:ttl("b"))
            ngx.say(dogs:ttl("c"))
            ngx.say(dogs:expire("b", 0.01))
            ngx.say(dogs:expire("c", 1))
            ngx.sleep(0.02)
            ngx.say(dogs:get("b"))
        }
    }
--- request
GET /test
--- response_body
true
0
nilnot found
true
nilnot found
nil
--- no_error_log
[error]


=== TEST 15: flush_all, flush_expired, get_keys
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            for i = 1, 5 do dogs:set("k" .. i, i) end
            local keys = dogs:get_keys()
            ngx.say(#keys)
            ngx.say(#dogs:get_keys(2))
            dogs:flush_all()
            ngx.say(dogs:get("k1"), " ", #dogs:get_keys())
            -- get_keys freed the expired items already (as ngx_lua does)
            ngx.say(dogs:flush_expired(2))
            ngx.say(dogs:flush_expired())
        }
    }
--- request
GET /test
--- response_body
5
2
nil 0
0
0
--- no_error_log
[error]


=== TEST 16: capacity and free_space
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            ngx.say(dogs:capacity())
            local before = dogs:free_space()
            dogs:set("big", string.rep("x", 100000))
            ngx.say(before - dogs:free_space() >= 100000)
        }
    }
--- request
GET /test
--- response_body
1048576
true
--- no_error_log
[error]


=== TEST 17: bad exptime raises
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            local ok, err = pcall(dogs.set, dogs, "foo", 1, -1)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /test
--- response_body
false bad "exptime" argument
--- no_error_log
[error]


=== TEST 18: dict in rewrite, access and header_filter phases
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        rewrite_by_lua_block { ngx.shared.dogs:set("r", 1) }
        access_by_lua_block { ngx.shared.dogs:set("a", 2) }
        header_filter_by_lua_block { ngx.header["X-Foo"] = ngx.shared.dogs:get("a") }
        content_by_lua_block {
            ngx.say(ngx.shared.dogs:get("r"), " ", ngx.shared.dogs:get("a"))
        }
    }
--- request
GET /test
--- response_body
1 2
--- no_error_log
[error]


=== TEST 19: unknown dict is nil
--- http_config
    lua_shared_dict dogs 1m;
--- config
    location = /test {
        content_by_lua_block {
            ngx.say(ngx.shared.cats)
        }
    }
--- request
GET /test
--- response_body
nil
--- no_error_log
[error]


=== TEST 20: too big value
--- http_config
    lua_shared_dict dogs 50k;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            local res, err, forcible = dogs:set("foo", string.rep("helloworld", 10000))
            ngx.say(res, " ", err, " ", forcible)
        }
    }
--- request
GET /test
--- response_body
false no memory false
--- no_error_log
[error]


=== TEST 21: safe_set and safe_add never evict: "no memory" when full
--- http_config
    lua_shared_dict dogs 64k;
--- config
    location = /test {
        content_by_lua_block {
            local dogs = ngx.shared.dogs
            local val = string.rep("x", 1000)
            local i = 0
            local ok, err, forcible
            repeat
                i = i + 1
                ok, err, forcible = dogs:safe_set("k" .. i, val)
            until not ok or i > 1000
            ngx.say(ok, " ", err, " ", forcible, " ", i > 10)
            ngx.say(dogs:get("k1") == val)
            ngx.say(dogs:safe_add("k1", "y"))
            ngx.say(dogs:safe_add("new", string.rep("y", 2000)))
        }
    }
--- request
GET /test
--- response_body
false no memory false true
true
falseexistsfalse
falseno memoryfalse
--- no_error_log
[error]
