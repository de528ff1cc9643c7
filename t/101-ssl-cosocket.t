# vim:set ft= ts=4 sw=4 et fdm=marker:
# tcpsock:sslhandshake (ngx_lua's t/129-ssl-socket.t, against a local TLS server):
# sessions, SNI, verification by lua_ssl_trusted_certificate and
# lua_ssl_verify_depth, its failures, and TLS connections in the keepalive pool.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('info');

plan tests => repeat_each() * (blocks() * 3);

our $Servers = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 ssl;
        server_name test.com;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        location / {
            return 200 "hello \$ssl_server_name \$connection_requests\\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl;
        server_name test.com;
        ssl_certificate ../../cert/self.crt;
        ssl_certificate_key ../../cert/self.key;
        return 200 "self-signed\n";
    }
};

our $HttpConfig = qq{
    lua_ssl_trusted_certificate ../../cert/ca.crt;
$::Servers
};

run_tests();

__DATA__

=== TEST 1: handshake returns a session cdata; a request over it
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            ngx.say("connected: ", sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say("ssl handshake: ", type(sess), " ", err)
            local bytes = sock:send("GET / HTTP/1.1\r\nHost: test.com\r\nConnection: close\r\n\r\n")
            ngx.say("sent: ", bytes)
            local line = sock:receive()
            ngx.say("received: ", line)
            local body = sock:receive("*a")
            ngx.say("body: ", body:match("hello[^\n]*"))
            ngx.say("close: ", sock:close())
        }
    }
--- request
GET /t
--- response_body
connected: 1
ssl handshake: cdata nil
sent: 53
received: HTTP/1.1 200 OK
body: hello test.com 1
close: 1
--- no_error_log
[error]



=== TEST 2: reused_session false returns true; a session given back is accepted
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say("first: ", sock:sslhandshake(false, "test.com"))
            sock:close()
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            local sess = assert(sock:sslhandshake(nil, "test.com"))
            sock:close()
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            local s2, err = sock:sslhandshake(sess, "test.com")
            ngx.say("second: ", type(s2), " ", err)
            sock:close()
        }
    }
--- request
GET /t
--- response_body
first: true
second: cdata nil
--- no_error_log
[error]



=== TEST 3: an untrusted (self-signed) certificate fails verification
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_2))
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say("handshake: ", sess, " ", err)
            ngx.say("send: ", select(2, sock:send("x")))
        }
    }
--- request
GET /t
--- response_body
handshake: nil 18: self-signed certificate
send: closed
--- error_log
lua ssl certificate verify error: (18: self-signed certificate)



=== TEST 4: without verification the same certificate is accepted
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_2))
            local sess, err = sock:sslhandshake(nil, "test.com", false)
            ngx.say("handshake: ", type(sess), " ", err)
            sock:send("GET / HTTP/1.0\r\n\r\n")
            local data = sock:receive("*a")
            ngx.say(data:match("self%-signed"))
        }
    }
--- request
GET /t
--- response_body
handshake: cdata nil
self-signed
--- no_error_log
[error]



=== TEST 5: no lua_ssl_trusted_certificate: the issuer is unknown
--- http_config eval: $::Servers
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say("handshake: ", sock:sslhandshake(nil, "test.com", true))
        }
    }
--- request
GET /t
--- response_body
handshake: nil20: unable to get local issuer certificate
--- error_log
lua ssl certificate verify error: (20: unable to get local issuer certificate)



=== TEST 6: the certificate does not name the host
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say("handshake: ", sock:sslhandshake(nil, "www.example.com", true))
        }
    }
--- request
GET /t
--- response_body
handshake: nilcertificate host mismatch
--- error_log
lua ssl certificate does not match host "www.example.com"



=== TEST 7: lua_ssl_verify_depth 0 still takes a leaf the trusted root signed
--- http_config eval
"lua_ssl_verify_depth 0;\n" . $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say("handshake: ", type(sess), " ", err)
        }
    }
--- request
GET /t
--- response_body
handshake: cdata nil
--- no_error_log
[error]



=== TEST 8: a peer that does not speak TLS
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(2000)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            local sess, err = sock:sslhandshake(nil, "test.com")
            ngx.say("handshake: ", sess, " ", err)
            ngx.say("send: ", select(2, sock:send("x")))
        }
    }
--- request
GET /t
--- response_body
handshake: nil handshake failed
send: closed
--- error_log
SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number), client:



=== TEST 9: TLS connections go back to the pool and come out still TLS
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                local sock = ngx.socket.tcp()
                sock:settimeout(3000)
                assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
                local reused = sock:getreusedtimes()
                local sess, err = sock:sslhandshake(nil, "test.com", true)
                sock:send("GET / HTTP/1.1\r\nHost: test.com\r\n\r\n")
                local reader = sock:receiveuntil("\r\n\r\n")
                reader()
                local body = sock:receive()
                ngx.say(i, ": reused ", reused, ", ", type(sess), ", ", body)
                assert(sock:setkeepalive())
            end
        }
    }
--- request
GET /t
--- response_body
1: reused 0, cdata, hello test.com 1
2: reused 1, cdata, hello test.com 2
3: reused 2, cdata, hello test.com 3
--- no_error_log
[error]



=== TEST 10: sslhandshake on a socket that is not connected
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            local ok, err = pcall(sock.sslhandshake, sock)
            ngx.say(ok, " ", err:match("socket is never created nor connected"))
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            sock:close()
            ngx.say("handshake: ", sock:sslhandshake())
        }
    }
--- request
GET /t
--- response_body
false socket is never created nor connected
handshake: nilclosed
--- no_error_log
[error]



=== TEST 11: a lua_ssl_trusted_certificate that cannot be read
--- http_config
    lua_ssl_trusted_certificate ../../cert/nosuch.crt;
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_PORT))
            sock:sslhandshake()
        }
    }
--- must_die
--- error_log eval
qr{\[emerg\] .*SSL_CTX_load_verify_locations\("/\S+/nosuch\.crt"\) failed}



=== TEST 12: lua_ssl_protocols picks the version (nginx 1.22's servers stop at TLSv1.2)
--- http_config eval
"lua_ssl_protocols TLSv1.3;\n" . $::HttpConfig . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        return 200 "\$ssl_protocol\\n";
    }
}
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_3))
            assert(sock:sslhandshake(false, "test.com", true))
            sock:send("GET / HTTP/1.0\r\n\r\n")
            local data = sock:receive("*a")
            ngx.say(data:match("TLSv[%d.]+"))
            sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            ngx.say("default server: ", sock:sslhandshake(false, "test.com"))
        }
    }
--- request
GET /t
--- response_body
TLSv1.3
default server: nilhandshake failed
--- error_log
SSL_do_handshake() failed



=== TEST 13: bad lua_ssl_protocols and lua_ssl_ciphers values
--- http_config
    lua_ssl_protocols TLSv2;
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*invalid value "TLSv2" in /\S+/conf/nginx\.conf:\d+}



=== TEST 14: lua_ssl_ciphers that match nothing
--- http_config
    lua_ssl_ciphers FOO;
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*SSL_CTX_set_cipher_list\("FOO"\) failed}



=== TEST 15: lua_ssl_verify_depth 0 against a chain with an intermediate CA
--- http_config eval
qq{
    lua_ssl_trusted_certificate ../../cert/ca.crt;
    lua_ssl_verify_depth 0;
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 ssl;
        ssl_certificate ../../cert/chain.crt;
        ssl_certificate_key ../../cert/chain.key;
        return 200 "chained\\n";
    }
}
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_3))
            local sess, err = sock:sslhandshake(nil, "test.com", true)
            ngx.say("depth 0: ", type(sess), " ", err)
        }
    }
--- request
GET /t
--- response_body
depth 0: nil 20: unable to get local issuer certificate
--- error_log
lua ssl certificate verify error: (20: unable to get local issuer certificate)



=== TEST 16: lua_ssl_verify_depth 1 takes the same chain
--- http_config eval
qq{
    lua_ssl_trusted_certificate ../../cert/ca.crt;
    lua_ssl_verify_depth 1;
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 ssl;
        ssl_certificate ../../cert/chain.crt;
        ssl_certificate_key ../../cert/chain.key;
        return 200 "chained\\n";
    }
}
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_3))
            local sess, err = sock:sslhandshake(false, "test.com", true)
            ngx.say("depth 1: ", sess, " ", err)
            sock:send("GET / HTTP/1.0\r\n\r\n")
            ngx.say((sock:receive("*a"):match("chained")))
        }
    }
--- request
GET /t
--- response_body
depth 1: true nil
chained
--- no_error_log
[error]
