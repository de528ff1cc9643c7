# vim:set ft= ts=4 sw=4 et fdm=marker:
# lua_need_request_body, lua_use_default_type,
# lua_transform_underscores_in_response_headers and lua_code_cache: ported
# from lua-nginx-module t/010-request_body.t, t/016-resp-header.t,
# t/025-codecache.t and t/094-default-type? (README sections).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: lua_need_request_body on: content sees the body
--- config
    location /t {
        lua_need_request_body on;
        content_by_lua_block {
            ngx.say(ngx.var.request_body, " ", ngx.req.get_body_data())
        }
    }
--- request
POST /t
hello
--- response_body
hello hello



=== TEST 2: lua_need_request_body on: rewrite sees the body
--- config
    location /t {
        lua_need_request_body on;
        rewrite_by_lua_block { ngx.ctx.b = ngx.req.get_body_data() }
        content_by_lua_block { ngx.say("rewrite saw: ", ngx.ctx.b) }
    }
--- request
POST /t
in rewrite
--- response_body
rewrite saw: in rewrite



=== TEST 3: lua_need_request_body on: get_post_args works without read_body
--- config
    location /t {
        lua_need_request_body on;
        content_by_lua_block {
            local args = ngx.req.get_post_args()
            ngx.say(args.a, " ", args.b)
        }
    }
--- request
POST /t
a=1&b=2
--- response_body
1 2



=== TEST 4: lua_need_request_body off (default): body not read
--- config
    location /t {
        content_by_lua_block {
            ngx.say(ngx.var.request_body)
        }
    }
--- request
POST /t
hello
--- response_body
nil



=== TEST 5: lua_need_request_body inherited from server
--- config
    lua_need_request_body on;
    location /t {
        content_by_lua_block { ngx.say(ngx.req.get_body_data()) }
    }
--- request
POST /t
from server
--- response_body
from server



=== TEST 6: lua_use_default_type off
--- config
    location /t {
        default_type text/css;
        lua_use_default_type off;
        content_by_lua_block { ngx.say("hi") }
    }
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
hi



=== TEST 7: lua_use_default_type on (default)
--- config
    location /t {
        default_type text/css;
        content_by_lua_block { ngx.say("hi") }
    }
--- request
GET /t
--- response_headers
Content-Type: text/css
--- response_body
hi



=== TEST 8: lua_transform_underscores_in_response_headers off
--- config
    location /t {
        lua_transform_underscores_in_response_headers off;
        content_by_lua_block {
            ngx.header.foo_bar = "baz"
            ngx.say(ngx.header.foo_bar)
        }
    }
--- request
GET /t
--- response_headers
foo_bar: baz
!foo-bar
--- response_body
baz



=== TEST 9: lua_transform_underscores_in_response_headers on (default)
--- config
    location /t {
        content_by_lua_block {
            ngx.header.foo_bar = "baz"
            ngx.say(ngx.header["foo-bar"])
        }
    }
--- request
GET /t
--- response_headers
foo-bar: baz
--- response_body
baz



=== TEST 10: lua_code_cache off reloads *_by_lua_file code per request
--- config
    lua_code_cache off;
    location /t {
        content_by_lua_file html/code.lua;
    }
    location /w {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/code.lua", "w"))
            f:write('ngx.say("version 2")')
            f:close()
            ngx.say("written")
        }
    }
--- user_files
>>> code.lua
ngx.say("version 1")
--- request eval
["GET /t", "GET /w", "GET /t"]
--- response_body eval
["version 1\n", "written\n", "version 2\n"]
--- error_log
lua_code_cache is off; this will hurt performance



=== TEST 11: lua_code_cache on (default) keeps the first load
--- config
    location /t {
        content_by_lua_file html/code.lua;
    }
    location /w {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/code.lua", "w"))
            f:write('ngx.say("version 2")')
            f:close()
            ngx.say("written")
        }
    }
--- user_files
>>> code.lua
ngx.say("version 1")
--- request eval
["GET /t", "GET /w", "GET /t"]
--- response_body eval
["version 1\n", "written\n", "version 1\n"]



=== TEST 12: lua_code_cache with a bad value
--- config
    location /t {
        lua_code_cache maybe;
        return 200;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "maybe" in "lua_code_cache" directive, it must be "on" or "off"



=== TEST 13: lua_code_cache off reloads required modules per request
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- config
    lua_code_cache off;
    location /t {
        content_by_lua_block { ngx.say(require("mymod").version) }
    }
    location /w {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/mymod.lua", "w"))
            f:write('return { version = 2 }')
            f:close()
            ngx.say("written")
        }
    }
--- user_files
>>> mymod.lua
return { version = 1 }
--- request eval
["GET /t", "GET /w", "GET /t"]
--- response_body eval
["1\n", "written\n", "2\n"]



=== TEST 14: lua_code_cache on keeps required modules
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- config
    location /t {
        content_by_lua_block { ngx.say(require("mymod").version) }
    }
    location /w {
        content_by_lua_block {
            local f = assert(io.open(ngx.config.prefix() .. "html/mymod.lua", "w"))
            f:write('return { version = 2 }')
            f:close()
            ngx.say("written")
        }
    }
--- user_files
>>> mymod.lua
return { version = 1 }
--- request eval
["GET /t", "GET /w", "GET /t"]
--- response_body eval
["1\n", "written\n", "1\n"]
