# vim:set ft= ts=4 sw=4 et fdm=marker:
# worker_connections: a worker holds at most that many connections at once, counted as
# nginx counts them (its listening sockets, its clients, and the upstream and cosocket
# connections it opens). When none is free it closes idle client connections first
# ("reusing connections"), and when that frees none it logs an alert and refuses: a new
# client is closed, a cosocket's connect fails, a proxied request ends with 500.
# (nginx's cosocket connect then returns whatever errno last held; these specs look at
# the failure, not its text.)

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();
worker_connections(8);

run_tests();

__DATA__

=== TEST 1: cosockets take the connections left (8 - the listener - this client), and closing them frees them
--- config
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 20 do
                local s = ngx.socket.tcp()
                local ok, err = s:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
                if not ok then
                    ngx.say("connect ", i, " failed: ", err ~= nil)
                    break
                end
                socks[#socks + 1] = s
            end
            ngx.say("connected ", #socks)
            for _, s in ipairs(socks) do s:close() end
            local s = ngx.socket.tcp()
            ngx.say("after close: ", s:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            s:close()
            local u = ngx.socket.udp()
            ngx.say("udp: ", u:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            u:close()
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply: x
--- request
GET /t
--- response_body
connect 7 failed: true
connected 6
after close: 1
udp: 1
--- error_log eval
qr/\[alert\] .*8 worker_connections are not enough, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1"/
--- no_error_log
[error]



=== TEST 2: UDP cosockets count too
--- config
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 20 do
                local u = ngx.socket.udp()
                local ok, err = u:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
                if not ok then
                    ngx.say("setpeername ", i, " failed: ", err ~= nil)
                    break
                end
                socks[#socks + 1] = u
            end
            ngx.say("open ", #socks)
            socks[1]:close()
            local u = ngx.socket.udp()
            ngx.say("after one closed: ", u:setpeername("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
        }
    }
--- request
GET /t
--- response_body
setpeername 7 failed: true
open 6
after one closed: 1
--- error_log
8 worker_connections are not enough
--- no_error_log
[error]



=== TEST 3: a new client finds none free and no idle one: it is closed, and the alert says so
--- config
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 5 do
                local s = ngx.socket.tcp()
                assert(s:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                socks[i] = s
            end
            -- the 8th connection: this one's own, to the server, whose accept then
            -- finds none free
            local s = ngx.socket.tcp()
            s:settimeout(2000)
            assert(s:connect("127.0.0.1", ngx.var.server_port))
            s:send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
            local line, err = s:receive()
            ngx.say("refused client: ", line or (err == "closed" or err:find("reset", 1, true)) and "gone" or err)
            s:close()
            -- two free: one for a new connection, one for its accepted side
            socks[1]:close()
            local s = ngx.socket.tcp()
            s:settimeout(2000)
            assert(s:connect("127.0.0.1", ngx.var.server_port))
            s:send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            ngx.say("with two free: ", s:receive())
        }
    }
    location = /c { return 200 "c\n"; }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply: x
--- request
GET /t
--- response_body
refused client: gone
with two free: HTTP/1.1 200 OK
--- error_log eval
qr/\[alert\] \d+#\d+: 8 worker_connections are not enough$/m
--- no_error_log eval
qr/reusing connections/



=== TEST 4: idle keep-alive clients are closed to make room ("reusing connections"), the oldest first
--- config
    location = /c { return 200 "c\n"; }
    location = /t {
        content_by_lua_block {
            local port = ngx.var.server_port
            local socks = {}
            local function get(s)
                s:send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
                local line, err = s:receive()
                if not line then
                    return (err == "closed" or err:find("reset", 1, true)) and "gone" or err
                end
                repeat local l = s:receive() until l == "" or not l
                s:receive(2)
                return line
            end
            -- each costs two (its own and the accepted one): 3 fill the 8
            for i = 1, 3 do
                local s = ngx.socket.tcp()
                s:settimeout(2000)
                assert(s:connect("127.0.0.1", port))
                ngx.say(i, ": ", get(s))
                socks[i] = s
            end
            -- a 4th: the oldest idle client (the 1st's) is closed for it, then the
            -- next oldest (the 2nd's) for its accepted side
            local s = ngx.socket.tcp()
            s:settimeout(2000)
            local ok, err = s:connect("127.0.0.1", port)
            ngx.say("4: ", ok and get(s) or err)
            socks[4] = s
            for i = 1, 4 do
                ngx.say("again ", i, ": ", get(socks[i]))
            end
        }
    }
--- request
GET /t
--- response_body
1: HTTP/1.1 200 OK
2: HTTP/1.1 200 OK
3: HTTP/1.1 200 OK
4: HTTP/1.1 200 OK
again 1: gone
again 2: gone
again 3: HTTP/1.1 200 OK
again 4: HTTP/1.1 200 OK
--- error_log eval
qr/\[warn\] \d+#\d+: 8 worker_connections are not enough, reusing connections$/m
--- no_error_log
[error]
[alert]



=== TEST 5: a proxied request that finds none free ends with 500, without trying another peer
--- http_config
    upstream two {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
--- config
    location = /p { proxy_pass http://two/c; }
    location = /c { return 200 "c\n"; }
    location = /t {
        content_by_lua_block {
            local socks = {}
            for i = 1, 6 do
                local s = ngx.socket.tcp()
                assert(s:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                socks[i] = s
            end
            local res = ngx.location.capture("/p")
            ngx.say("full: ", res.status)
            socks[1]:close()
            socks[2]:close()
            res = ngx.location.capture("/p")
            ngx.print("two free: ", res.status, " ", res.body)
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply: x
--- request
GET /t
--- response_body
full: 500
two free: 200 c
--- error_log eval
qr/\[alert\] .*8 worker_connections are not enough while connecting to upstream, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", subrequest: "\/p", upstream: "http:\/\/127\.0\.0\.1:\d+\/c"/
--- no_error_log
[error]



=== TEST 6: connects that fail, closed UDP sockets and reused pooled connections leave no place taken
--- config
    location = /c { return 200 "c\n"; }
    location = /t {
        content_by_lua_block {
            -- nothing listens on port 1: each connect fails (connection refused)
            for i = 1, 40 do
                local s = ngx.socket.tcp()
                local ok = s:connect("127.0.0.1", 1)
                if ok then ngx.say("unexpected connect") end
            end
            for i = 1, 40 do
                local u = ngx.socket.udp()
                assert(u:setpeername("127.0.0.1", 1))
                u:close()
            end
            -- the same pooled connection each time
            for i = 1, 40 do
                local s = ngx.socket.tcp()
                assert(s:connect("127.0.0.1", ngx.var.server_port))
                s:setkeepalive()
            end
            local socks = {}
            for i = 1, 20 do
                local s = ngx.socket.tcp()
                if not s:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1) then break end
                socks[i] = s
            end
            -- 8 - the listener - this client: the pooled connection's accepted side is
            -- an idle client, closed to make room, and the pooled connection goes with it
            ngx.say("then ", #socks, " connect")
        }
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply: x
--- request
GET /t
--- response_body
then 6 connect
--- error_log
8 worker_connections are not enough, reusing connections
