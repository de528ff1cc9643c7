# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.socket() reading the request body (ngx_http_lua_socket_tcp.c).

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: read the body by lines and sizes
--- config
    location = /t {
        content_by_lua_block {
            local sock, err = ngx.req.socket()
            if not sock then
                ngx.say("failed: ", err)
                return
            end
            sock:settimeout(1000)
            ngx.say("line: ", sock:receive())
            ngx.say("5: ", sock:receive(5))
            ngx.say("rest: ", sock:receive(100))
        }
    }
--- request
POST /t
hello world
abcdefgh
--- response_body
line: hello world
5: abcde
rest: nilclosedfgh



=== TEST 2: receiveuntil a boundary
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            local reader = sock:receiveuntil("--b")
            ngx.say(reader())
            ngx.say(reader())
        }
    }
--- request
POST /t
one--btwo--bthree
--- response_body
one
two



=== TEST 3: no body
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.socket())
        }
    }
--- request
GET /t
--- response_body
nilno body



=== TEST 4: second call
--- config
    location = /t {
        content_by_lua_block {
            local s1 = ngx.req.socket()
            ngx.say(ngx.req.socket())
        }
    }
--- request
POST /t
hi
--- response_body
nilrequest body already exists
