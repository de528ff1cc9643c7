# vim:set ft= ts=4 sw=4 et fdm=marker:
# New connections: each accepted connection is set up and served on its own, however
# many arrive at once (moongate sets them up in its own accept handler, past NIO's
# ServerBootstrap.AcceptHandler: see AcceptFront in Sources/MoongateHTTP/Server/HTTPWorker.swift).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
worker_connections(1024);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: 200 connections opened at once are each accepted and served once
--- config
    location = /c {
        content_by_lua_block {
            ngx.print(ngx.var.connection, " ", ngx.var.connection_requests)
        }
    }
    location = /t {
        content_by_lua_block {
            local port = ngx.var.server_port
            local function one()
                local sock = ngx.socket.tcp()
                sock:settimeout(5000)
                local ok, err = sock:connect("127.0.0.1", port)
                if not ok then return nil, "connect: " .. err end
                ok, err = sock:send("GET /c HTTP/1.0\r\nHost: t\r\n\r\n")
                if not ok then return nil, "send: " .. err end
                local all, err = sock:receive("*a")
                sock:close()
                if not all then return nil, "receive: " .. err end
                local status = all:match("^HTTP/1%.%d (%d+)")
                local conn, n = all:match("\r\n\r\n(%d+) (%d+)$")
                if status ~= "200" or not conn then return nil, "bad response: " .. all end
                return conn, n
            end
            local threads = {}
            for i = 1, 200 do
                threads[i] = ngx.thread.spawn(one)
            end
            local seen, distinct, firsts, failed = {}, 0, 0, 0
            for i = 1, 200 do
                local ok, conn, n = ngx.thread.wait(threads[i])
                if ok and conn then
                    if not seen[conn] then seen[conn] = true; distinct = distinct + 1 end
                    if n == "1" then firsts = firsts + 1 end
                else
                    failed = failed + 1
                    ngx.log(ngx.ERR, "connection ", i, ": ", n)
                end
            end
            ngx.say("failed ", failed, ", distinct connections ", distinct,
                    ", first requests ", firsts, ", this one is new: ",
                    seen[ngx.var.connection] == nil)
        }
    }
--- request
GET /t
--- response_body
failed 0, distinct connections 200, first requests 200, this one is new: true
--- no_error_log
[error]



=== TEST 2: a connection that is closed before it sends anything costs nothing, and the next is served
--- config
    location = /t {
        content_by_lua_block {
            local port = ngx.var.server_port
            for i = 1, 50 do
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", port))
                sock:close()
            end
            local sock = ngx.socket.tcp()
            sock:settimeout(5000)
            assert(sock:connect("127.0.0.1", port))
            assert(sock:send("GET /c HTTP/1.0\r\nHost: t\r\n\r\n"))
            local all = assert(sock:receive("*a"))
            ngx.say(all:match("^HTTP/1%.%d (%d+)"), " ", all:match("\r\n\r\n(.-)\n?$"))
        }
    }
    location = /c {
        return 200 "served\n";
    }
--- request
GET /t
--- response_body
200 served
--- no_error_log
[error]
[alert]
