# vim:set ft= ts=4 sw=4 et fdm=marker:
# Cosockets with coroutines, light threads and across requests.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: a cosocket inside coroutine.wrap
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hi"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local gen = coroutine.wrap(function()
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
                while true do
                    local line = sock:receive()
                    if not line then break end
                    coroutine.yield(line)
                end
                return nil
            end)
            local first = gen()
            ngx.say(first)
            ngx.sleep(0.001)
            ngx.say(gen() ~= nil)
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
true



=== TEST 2: the request's end closes its connected sockets
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hi"; }
    }
--- config
    location = /a {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            package.loaded.saved_sock = sock
            ngx.say("saved")
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = package.loaded.saved_sock
            if not sock then
                ngx.say("no socket")
                return
            end
            ngx.say(pcall(sock.send, sock, "x"))
        }
    }
--- pipelined_requests eval
["GET /a", "GET /t"]
--- response_body eval
["saved\n", "truenilclosed\n"]



=== TEST 3: ngx.exit in a light thread ends the request
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.01)
                ngx.say("thread exits")
                ngx.exit(200)
            end)
            ngx.sleep(0.1)
            ngx.say("entry should not get here")
        }
    }
--- request
GET /t
--- response_body
thread exits



=== TEST 4: sleep inside coroutine.wrap inside a light thread
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function()
                local f = coroutine.wrap(function(a)
                    ngx.sleep(0.01)
                    local b = coroutine.yield(a + 1)
                    ngx.sleep(0.01)
                    return b * 2
                end)
                local x = f(1)
                local y = f(10)
                return x, y
            end)
            ngx.say(ngx.thread.wait(t))
        }
    }
--- request
GET /t
--- response_body
true220



=== TEST 5: a timer may not use its request's connected socket
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hi"; }
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(ngx.timer.at(0, function()
                local ok, err = pcall(sock.send, sock, "x")
                ngx.log(ngx.WARN, "timer send: ", ok, " ", err)
            end))
            ngx.sleep(0.05)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
timer send: false bad request



=== TEST 6: a socket keeps its timeouts past the end of the request that connected it
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hi"; }
        location = /slow { content_by_lua_block { ngx.sleep(3) ngx.say("late") } }
    }
--- config
    location = /a {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeouts(1000, 1000, 150)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
            ngx.say(sock:receive())
            package.loaded.saved_sock = sock
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = package.loaded.saved_sock
            local ok, err = sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1)
            ngx.say("connect: ", ok, " ", err)
            assert(sock:send("GET /slow HTTP/1.0\r\n\r\n"))
            local start = ngx.now()
            local line, err = sock:receive()
            ngx.say(line, " ", err, " ", ngx.now() - start < 1)
        }
    }
--- pipelined_requests eval
["GET /a", "GET /t"]
--- response_body eval
["HTTP/1.1 200 OK\n", "connect: 1 nil\nnil timeout true\n"]
--- error_log
lua tcp socket read timed out



=== TEST 7: sockets that outlive their requests: closed, then usable again, then collected
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /b { return 200 "hi"; }
    }
--- config
    location = /a {
        content_by_lua_block {
            local saved = package.loaded.saved_socks or {}
            package.loaded.saved_socks = saved
            for i = 1, 20 do
                local sock = ngx.socket.tcp()
                if i % 4 ~= 0 then
                    assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                    assert(sock:send("GET /b HTTP/1.1\r\nHost: b\r\n\r\n"))
                    repeat
                        local line = assert(sock:receive())
                    until line == ""
                    assert(sock:receive(2) == "hi")
                    if i % 4 == 1 then
                        assert(sock:setkeepalive())
                    elseif i % 4 == 2 then
                        assert(sock:close())
                    end
                end
                saved[#saved + 1] = sock
            end
            ngx.say(#saved)
        }
    }
    location = /t {
        content_by_lua_block {
            local saved = package.loaded.saved_socks
            local closed = 0
            for _, sock in ipairs(saved) do
                local ok, err = sock:send("x")
                if not ok and err == "closed" then closed = closed + 1 end
            end
            ngx.say("closed: ", closed)
            local good = 0
            for i = 1, #saved, 7 do
                local sock = saved[i]
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
                if sock:receive() == "HTTP/1.1 200 OK" then good = good + 1 end
                sock:close()
            end
            ngx.say("reconnected: ", good)
            package.loaded.saved_socks = nil
            saved = nil
            collectgarbage()
            collectgarbage()
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:send("GET /b HTTP/1.0\r\n\r\n"))
            ngx.say(sock:receive())
        }
    }
--- pipelined_requests eval
["GET /a", "GET /a", "GET /t"]
--- response_body eval
["20\n", "40\n", "closed: 40\nreconnected: 6\nHTTP/1.1 200 OK\n"]
--- no_error_log
[alert]
[crit]
