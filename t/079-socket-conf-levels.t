# lua_socket_* set at server or location level apply there only, inherited inward, as
# ngx_lua's loc_conf (they were process-wide: the last one read won everywhere).

use Test::Nginx::Socket::Lua;

repeat_each(1);
plan tests => repeat_each() * (blocks() * 2);

our $Config = <<'_EOC_';
    location = /slow {
        content_by_lua_block { ngx.sleep(0.3) ngx.say("slow") }
    }
    location = /short {
        lua_socket_read_timeout 100ms;
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /slow HTTP/1.0\r\nHost: x\r\n\r\n")
            local line, err = sock:receive()
            ngx.say(line or err)
        }
    }
    location = /default {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /slow HTTP/1.0\r\nHost: x\r\n\r\n")
            local line, err = sock:receive()
            ngx.say(line or err)
        }
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: a location's own read timeout
--- config eval: $::Config
--- request
GET /short
--- response_body
timeout



=== TEST 2: another location keeps the default (the first one's setting does not leak)
--- config eval: $::Config
--- request
GET /default
--- response_body
HTTP/1.1 200 OK



=== TEST 3: a server-level setting is inherited by its locations, and a location overrides it
--- config
    lua_socket_read_timeout 100ms;
    location = /slow {
        content_by_lua_block { ngx.sleep(0.3) ngx.say("slow") }
    }
    location = /inherit {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /slow HTTP/1.0\r\nHost: x\r\n\r\n")
            local line, err = sock:receive()
            ngx.print(line or err, " ")
            local res = ngx.location.capture("/override")
            ngx.print(res.body)
        }
    }
    location = /override {
        lua_socket_read_timeout 2s;
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send("GET /slow HTTP/1.0\r\nHost: x\r\n\r\n")
            local line, err = sock:receive()
            ngx.say(line or err)
        }
    }
--- request
GET /inherit
--- response_body
timeout HTTP/1.1 200 OK
