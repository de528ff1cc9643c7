# vim:set ft= ts=4 sw=4 et fdm=marker:
# The error log keeps the client's bytes as sent (invalid UTF-8 included), as nginx
# writes them: `request: "..."` and ngx.log messages. The runner's strings are UTF-8,
# so a Lua client sends the raw request and reads the log file back as bytes.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    init_by_lua_block {
        local function hex(s)
            return (s:gsub(".", function(c)
                return string.format("%02x", c:byte())
            end))
        end
        local function send(req)
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            sock:send(req)
            local data, err, partial = sock:receive("*a")
            sock:close()
            return data or partial
        end
        -- The last error log line containing `marker`.
        local function logline(marker)
            ngx.sleep(0.05)
            local f = assert(io.open(ngx.config.prefix() .. "logs/error.log", "rb"))
            local found
            for line in f:lines() do
                if line:find(marker, 1, true) then found = line end
            end
            f:close()
            return found
        end
        package.loaded.rawlog = { hex = hex, send = send, logline = logline }
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: request: "..." keeps invalid UTF-8 bytes of the request line
--- http_config eval: $::HttpConfig
--- config
    location /r/ {
        content_by_lua_block {
            ngx.log(ngx.ERR, "marker-one")
            ngx.say("ok")
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("rawlog")
            local resp = c.send("GET /r/a\255\254b?x=\195 HTTP/1.0\r\nHost: h\r\n\r\n")
            ngx.say(resp:match("^HTTP/1.1 (%d+)"))
            local line = c.logline("marker-one")
            ngx.say(c.hex(line:match('request: "(.-)", host')))
        }
    }
--- request
GET /t
--- response_body
200
474554202f722f61fffe623f783dc320485454502f312e30



=== TEST 2: a refused request line is logged with its bytes
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local c = require("rawlog")
            local resp = c.send("GET /\255\128 HTTP/1.x\r\n\r\n")
            ngx.say(resp:match("^HTTP/1.1 (%d+)"))
            local line = c.logline("client sent invalid request")
            ngx.say(c.hex(line:match('request: "(.-)"$')))
        }
    }
--- request
GET /t
--- response_body
400
474554202fff8020485454502f312e78



=== TEST 3: ngx.log writes a message's bytes as they are
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local c = require("rawlog")
            ngx.log(ngx.ERR, "marker-two:\255\226\130\172\192:")
            local line = c.logline("marker-two")
            ngx.say(c.hex(line:match("marker%-two:(.-):")))
        }
    }
--- request
GET /t
--- response_body
ffe282acc0
--- error_log
marker-two



=== TEST 4: host: "..." keeps the Host header's bytes, in served and refused requests
--- http_config eval: $::HttpConfig
--- config
    location /r/ {
        content_by_lua_block {
            ngx.log(ngx.ERR, "marker-three")
            ngx.say("ok")
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("rawlog")
            local resp = c.send("GET /r/ HTTP/1.0\r\nHost: a\255b\r\n\r\n")
            ngx.say(resp:match("^HTTP/1.1 (%d+)"))
            local line = c.logline("marker-three")
            ngx.say(c.hex(line:match('host: "(.-)"$')))
            resp = c.send("GET /r/ HTTP/1.0\r\nHost: x\254y\r\nBad\1Header: 1\r\n\r\n")
            ngx.say(resp:match("^HTTP/1.1 (%d+)"))
            line = c.logline("client sent invalid header line")
            ngx.say(c.hex(line:match('host: "(.-)"$')))
        }
    }
--- request
GET /t
--- response_body
200
61ff62
400
78fe79
