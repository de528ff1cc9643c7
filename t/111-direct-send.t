# Responses on plain connections are written with one send(2) when NIO holds none of
# the connection's bytes; these check that bytes never overtake each other: a small
# response after a large one still queued, pipelined, keeps its place.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: pipelined small and large responses arrive in order
--- config
    location = /small {
        content_by_lua_block { ngx.say("small ", ngx.var.arg_n) }
    }
    location = /big {
        content_by_lua_block {
            local n = tonumber(ngx.var.arg_n)
            ngx.print(string.rep(string.char(96 + n), 8 * 1024 * 1024))
        }
    }
--- pipelined_requests eval
["GET /small?n=1", "GET /big?n=1", "GET /small?n=2", "GET /big?n=2", "GET /small?n=3"]
--- response_body eval
["small 1\n", "a" x (8 * 1024 * 1024), "small 2\n", "b" x (8 * 1024 * 1024), "small 3\n"]
--- no_error_log
[error]



=== TEST 2: a flushed head and chunks, then more requests on the connection
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("one")
            ngx.flush(true)
            ngx.say("two")
            ngx.flush()
            ngx.say(ngx.var.arg_n)
        }
    }
--- pipelined_requests eval
["GET /t?n=1", "GET /t?n=2", "GET /t?n=3"]
--- response_body eval
["one\ntwo\n1\n", "one\ntwo\n2\n", "one\ntwo\n3\n"]
--- no_error_log
[error]



=== TEST 3: a static file (sent by NIO) between small responses
--- config
    location = /small {
        return 200 "small $arg_n\n";
    }
    location = /file.txt {
        root html;
    }
--- user_files
>>> file.txt
file body
--- pipelined_requests eval
["GET /small?n=1", "GET /file.txt", "GET /small?n=2"]
--- response_body eval
["small 1\n", "file body\n", "small 2\n"]
--- no_error_log
[error]



=== TEST 4: cosocket sends written at once and through NIO keep their order
--- config
    location = /echo {
        client_max_body_size 20m;
        client_body_buffer_size 16m;
        content_by_lua_block {
            ngx.req.read_body()
            local b = ngx.req.get_body_data() or ""
            local out = #b .. " " .. ngx.md5(b)
            ngx.header.content_length = #out
            ngx.print(out)
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            local big = string.rep("a", 8 * 1024 * 1024)
            local parts = {"x", big, "y", big, "z"}
            local total = 0
            for _, p in ipairs(parts) do total = total + #p end
            local n, err = sock:send("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                .. "Content-Length: " .. total .. "\r\n\r\n")
            ngx.say("head sent: ", n ~= nil, " ", err)
            for i, p in ipairs(parts) do
                n, err = sock:send(p)
                if n ~= #p then ngx.say("part ", i, ": ", n, " ", err) end
            end
            local body = sock:receive("*a")
            local len, md5 = body:match("\r\n\r\n(%d+) (%x+)$")
            ngx.say("len ok: ", tonumber(len) == total)
            ngx.say("md5 ok: ", md5 == ngx.md5(table.concat(parts)))
        }
    }
--- request
GET /t
--- response_body
head sent: true nil
len ok: true
md5 ok: true
--- no_error_log
[error]
