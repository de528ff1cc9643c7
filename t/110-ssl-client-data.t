# vim:set ft= ts=4 sw=4 et fdm=marker:
# Data through client TLS connections (OpenSSL over memory BIOs): bodies much
# larger than one TLS record both ways, through cosockets and proxy_pass
# https://, and a server that closes with close_notify.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('info');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 ssl;
        server_name test.com;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        client_max_body_size 10m;
        client_body_buffer_size 10m;
        location = /big {
            content_by_lua_block {
                ngx.print(string.rep("0123456789abcdef", 65536))
            }
        }
        location = /echo {
            content_by_lua_block {
                ngx.req.read_body()
                local b = ngx.req.get_body_data() or ""
                ngx.say("got ", #b, " ", ngx.md5(b))
            }
        }
    }
};

run_tests();

__DATA__

=== TEST 1: a 1 MB response through a cosocket, read in pieces and at once
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(5000)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:sslhandshake(nil, "test.com"))
            assert(sock:send("GET /big HTTP/1.0\r\nHost: test.com\r\n\r\n"))
            local reader = sock:receiveuntil("\r\n\r\n")
            assert(reader())
            local first = assert(sock:receive(100000))
            local rest = assert(sock:receive("*a"))
            local body = first .. rest
            ngx.say(#body, " ", body == string.rep("0123456789abcdef", 65536))
            ngx.say(sock:receive())
        }
    }
--- request
GET /t
--- response_body
1048576 true
nilclosed
--- no_error_log
[error]



=== TEST 2: a 1 MB request body sent through a cosocket
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(5000)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:sslhandshake(nil, "test.com"))
            local body = string.rep("x", 1048576)
            assert(sock:send({"POST /echo HTTP/1.0\r\nHost: test.com\r\n",
                              "Content-Length: ", #body, "\r\n\r\n", body}))
            local reader = sock:receiveuntil("\r\n\r\n")
            assert(reader())
            ngx.print(sock:receive("*a"))
            ngx.say(ngx.md5(body))
        }
    }
--- request
GET /t
--- response_body_like
^got 1048576 (\w+)\n\1$
--- no_error_log
[error]



=== TEST 3: 1 MB both ways through proxy_pass https://
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/up/big")
            ngx.say(res.status, " ", #res.body)
            local body = string.rep("y", 1048576)
            res = ngx.location.capture("/up/echo",
                                       { method = ngx.HTTP_POST, body = body })
            ngx.print(res.body)
            ngx.say(ngx.md5(body))
        }
    }
    location /up/ {
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- response_body_like
^200 1048576\ngot 1048576 (\w+)\n\1$
--- no_error_log
[error]
