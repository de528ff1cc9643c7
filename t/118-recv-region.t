# vim:set ft= ts=4 sw=4 et fdm=marker:
# Plain client connections read into one receive region per worker (ClientRecvBuffers):
# no connection may keep a read's bytes past the read. Here twenty connections (ten through the proxy) send
# their bodies in pieces at the same time (their reads interleave in the worker), and
# each body must come back whole: read by ngx.req.read_body, by ngx.req.socket, by the
# raw request socket, and through the proxy without request buffering.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    init_by_lua_block {
        -- POST a body in three pieces (the head in two) with pauses between, on a new
        -- connection; true if the response's body is the argument i and the body's md5.
        function post_in_pieces(port, path, i)
            local sock = ngx.socket.tcp()
            sock:settimeout(5000)
            local ok, err = sock:connect("127.0.0.1", port)
            if not ok then return nil, err end
            local c = string.char(65 + i % 26)
            local body = string.rep(c, 20000 + i * 997) .. i
            local head = "POST " .. path .. "?i=" .. i .. " HTTP/1.0\r\nHost: localhost\r\n"
                         .. "Content-Length: " .. #body .. "\r\n\r\n"
            -- A head in two reads: its first part waits in the connection's buffer.
            sock:send(head:sub(1, 20))
            ngx.sleep(0.005)
            sock:send(head:sub(21) .. body:sub(1, 700))
            ngx.sleep(0.005)
            sock:send(body:sub(701, 9000))
            ngx.sleep(0.005)
            sock:send(body:sub(9001))
            local data, err = sock:receive("*a")
            sock:close()
            if not data then return nil, err end
            return data:match("\r\n\r\n(.*)$") == i .. " " .. ngx.md5(body)
        end
        function run_clients(path, n)
            n = n or 20
            local threads = {}
            for i = 1, n do
                threads[i] = ngx.thread.spawn(post_in_pieces, ngx.var.server_port, path, i)
            end
            local good = 0
            for i = 1, n do
                local ok, res = ngx.thread.wait(threads[i])
                if ok and res then good = good + 1 end
            end
            ngx.say("whole: ", good)
        end
    }
    upstream echo_back {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: twenty bodies in pieces at once, read by ngx.req.read_body
--- http_config eval: $::HttpConfig
--- config
    location = /echo {
        client_body_buffer_size 1m;
        content_by_lua_block {
            ngx.req.read_body()
            ngx.print(ngx.var.arg_i, " ", ngx.md5(ngx.req.get_body_data() or ""))
        }
    }
    location = /t {
        content_by_lua_block { run_clients("/echo") }
    }
--- request
GET /t
--- response_body
whole: 20
--- no_error_log
[error]



=== TEST 2: twenty bodies in pieces at once, read by ngx.req.socket
--- http_config eval: $::HttpConfig
--- config
    location = /echo {
        content_by_lua_block {
            -- The first piece came with the head: it waits in the connection's buffer
            -- while the other connections read.
            ngx.sleep(0.02)
            local sock = assert(ngx.req.socket())
            local len = tonumber(ngx.var.http_content_length)
            local parts, got = {}, 0
            while got < len do
                local d = assert(sock:receive(math.min(3000, len - got)))
                parts[#parts + 1] = d
                got = got + #d
            end
            ngx.print(ngx.var.arg_i, " ", ngx.md5(table.concat(parts)))
        }
    }
    location = /t {
        content_by_lua_block { run_clients("/echo") }
    }
--- request
GET /t
--- response_body
whole: 20
--- no_error_log
[error]



=== TEST 3: twenty bodies in pieces at once, read by the raw request socket
--- http_config eval: $::HttpConfig
--- config
    location = /echo {
        content_by_lua_block {
            ngx.sleep(0.02)
            local len = tonumber(ngx.var.http_content_length)
            local sock = assert(ngx.req.socket(true))
            local parts, got = {}, 0
            while got < len do
                local d = assert(sock:receive(math.min(3000, len - got)))
                parts[#parts + 1] = d
                got = got + #d
            end
            local out = ngx.var.arg_i .. " " .. ngx.md5(table.concat(parts))
            sock:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #out .. "\r\nConnection: close\r\n\r\n" .. out)
        }
    }
    location = /t {
        content_by_lua_block { run_clients("/echo") }
    }
--- request
GET /t
--- response_body
whole: 20
--- no_error_log
[error]



=== TEST 4: ten bodies in pieces at once, through the proxy without request buffering
(ten: each takes four connections of the test server's 64)
--- http_config eval: $::HttpConfig
--- config
    location = /echo {
        client_body_buffer_size 1m;
        content_by_lua_block {
            ngx.req.read_body()
            ngx.print(ngx.var.arg_i, " ", ngx.md5(ngx.req.get_body_data() or ""))
        }
    }
    location = /proxied {
        proxy_request_buffering off;
        proxy_pass http://echo_back/echo;
    }
    location = /t {
        content_by_lua_block { run_clients("/proxied", 10) }
    }
--- request
GET /t
--- response_body
whole: 10
--- no_error_log
[error]
