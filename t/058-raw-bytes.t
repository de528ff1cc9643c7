# Request bytes that are not UTF-8 stay bytes: in ngx.var, in what Lua gets back, in
# response headers and in what is proxied upstream, as nginx never recodes a request.
# The runner's strings are UTF-8, so a Lua client sends the raw requests.

use Test::Nginx::Socket::Lua;

repeat_each(1);
plan tests => repeat_each() * (blocks() * 2);

our $HttpConfig = <<'_EOC_';
    init_by_lua_block {
        local function hex(s)
            return (s:gsub(".", function(c) return string.format("%02X", c:byte()) end))
        end
        local function send(req)
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            assert(sock:send(req))
            local data, err, partial = sock:receive("*a")
            sock:close()
            return data or partial
        end
        package.loaded.raw = { hex = hex, send = send }
    }
_EOC_

our $LogConfig = <<'_EOC_';
    log_format rawfmt '$request_uri';
_EOC_

run_tests();

__DATA__

=== TEST 1: a raw byte in the request target, and a %FE in the URI
--- http_config eval: $::HttpConfig
--- config
    location /a {
        content_by_lua_block {
            local raw = require "raw"
            ngx.say(raw.hex(ngx.var.request_uri), " ", raw.hex(ngx.var.uri))
        }
    }
    location = /t {
        content_by_lua_block {
            local raw = require "raw"
            local resp = raw.send("GET /a\xFFb%FE HTTP/1.0\r\nHost: localhost\r\n\r\n")
            ngx.print(resp:match("\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
2F61FF62254645 2F61FF62FE



=== TEST 2: proxied as sent, a header with a raw byte too, and a raw response header
--- http_config eval: $::HttpConfig
--- config
    location /back {
        content_by_lua_block {
            local raw = require "raw"
            ngx.header["X-Echo"] = ngx.var.http_x_raw
            ngx.say(raw.hex(ngx.var.request_uri), " ", raw.hex(ngx.var.http_x_raw))
        }
    }
    location /front {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
    }
    location = /t {
        content_by_lua_block {
            local raw = require "raw"
            local resp = raw.send("GET /front\xE9 HTTP/1.0\r\nHost: localhost\r\nX-Raw: a\xFFb\r\n\r\n")
            ngx.say(raw.hex(resp:match("\r\nX%-Echo: ([^\r]*)")))
            ngx.print(resp:match("\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
61FF62
2F6261636BE9 61FF62



=== TEST 3: a Lua string with raw bytes set as a request header and read back
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_header("X-In", "x\xFE")
            local v = ngx.req.get_headers()["x-in"]
            ngx.say(#v, " ", v:byte(2))
        }
    }
--- request
GET /t
--- response_body
2 254



=== TEST 4: the access log escapes the bytes the client sent (\xFF, not U+FFFD)
--- http_config eval: $::HttpConfig . $::LogConfig
--- config
    location /a {
        access_log logs/raw_access.log rawfmt;
        return 200 "a\n";
    }
    location = /t {
        content_by_lua_block {
            local raw = require "raw"
            raw.send("GET /a\xFFb\xC3\xA9 HTTP/1.0\r\nHost: localhost\r\n\r\n")
            ngx.sleep(0.1)
            local f = assert(io.open(ngx.config.prefix() .. "logs/raw_access.log", "rb"))
            local data = f:read("*a")
            f:close()
            ngx.print(data)
        }
    }
--- request
GET /t
--- response_body
/a\xFFb\xC3\xA9



=== TEST 5: a static file whose name is not UTF-8 is served by its bytes
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local raw = require "raw"
            local f = assert(io.open(ngx.config.prefix() .. "html/f\xFF.txt", "wb"))
            f:write("raw name\n")
            f:close()
            local resp = raw.send("GET /f\xFF.txt HTTP/1.0\r\nHost: localhost\r\n\r\n")
            ngx.print(resp:match("^HTTP/1%.%d (%d+)"), " ", resp:match("\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
200 raw name
