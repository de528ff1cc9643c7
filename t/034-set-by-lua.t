# vim:set ft= ts=4 sw=4 et fdm=marker:
# set_by_lua*: ported from lua-nginx-module t/001-set.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: simple set (integer)
--- config
    location /lua {
        set_by_lua $res "return 1+1";
        return 200 "$res\n";
    }
--- request
GET /lua
--- response_body
2



=== TEST 2: simple set (string)
--- config
    location /lua {
        set_by_lua $res "return 'hello' .. ', world'";
        return 200 "$res\n";
    }
--- request
GET /lua
--- response_body
hello, world



=== TEST 3: arguments through ngx.arg
--- config
    location /lua {
        set $a 32;
        set_by_lua $res "return ngx.arg[1] + ngx.arg[2]" $a $arg_b;
        return 200 "$res\n";
    }
--- request
GET /lua?b=10
--- response_body
42



=== TEST 4: set_by_lua_block
--- config
    location /lua {
        set_by_lua_block $res {
            local a = 3
            return a * 5
        }
        return 200 "$res\n";
    }
--- request
GET /lua
--- response_body
15



=== TEST 5: set_by_lua_file
--- config
    location /lua {
        set_by_lua_file $res html/s.lua $arg_x;
        return 200 "$res\n";
    }
--- user_files
>>> s.lua
return "file:" .. ngx.arg[1]
--- request
GET /lua?x=7
--- response_body
file:7



=== TEST 6: nil result
--- config
    location /lua {
        set_by_lua_block $res { return nil }
        return 200 "[$res]\n";
    }
--- request
GET /lua
--- response_body
[]



=== TEST 7: runtime error gives 500
--- config
    location /lua {
        set_by_lua_block $res { error("bad") }
        return 200 "$res\n";
    }
--- request
GET /lua
--- error_code: 500
--- error_log eval
qr/failed to run set_by_lua\*: set_by_lua\(nginx\.conf:\d+\):1: bad/



=== TEST 8: ngx.say is disabled in set_by_lua
--- config
    location /lua {
        set_by_lua_block $res { ngx.say("x") return 1 }
        return 200 "$res\n";
    }
--- request
GET /lua
--- error_code: 500
--- error_log
API disabled in the context of set_by_lua*



=== TEST 9: ngx.var read in set_by_lua
--- config
    location /lua {
        set_by_lua_block $res { return ngx.var.uri .. "!" }
        return 200 "$res\n";
    }
--- request
GET /lua
--- response_body
/lua!
