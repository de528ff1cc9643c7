# vim:set ft= ts=4 sw=4 et fdm=marker:
# TLS listeners (ngx_http_ssl_module): listen ... ssl, certificates picked by SNI,
# the ssl variables, plain HTTP sent to the TLS port, and the config errors.
# The client is a Lua cosocket in the test server, as in ngx_lua's own ssl tests.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('info');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    lua_ssl_trusted_certificate ../../cert/ca.crt;
    init_by_lua_block {
        -- GET path over TLS to the ssl port: the status line, then the body.
        function tls_get(path, name, verify, port)
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            local ok, err = sock:connect("127.0.0.1",
                port or \$TEST_NGINX_RAND_PORT_1)
            if not ok then
                return nil, "connect: " .. err
            end
            local sess, err = sock:sslhandshake(nil, name, verify)
            if not sess then
                return nil, "handshake: " .. err
            end
            sock:send("GET " .. path .. " HTTP/1.0\\r\\nHost: "
                      .. (name or "test.com") .. "\\r\\n\\r\\n")
            local data, err = sock:receive("*a")
            sock:close()
            if not data then
                return nil, "receive: " .. err
            end
            local status = data:match("^[^\\r]*")
            local body = data:match("\\r\\n\\r\\n(.*)\$")
            return status .. "\\n" .. body
        end
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 ssl;
        server_name test.com;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        location / {
            content_by_lua_block {
                ngx.say("server: test.com")
                ngx.say("scheme: ", ngx.var.scheme)
                ngx.say("https: ", ngx.var.https)
                ngx.say("protocol: ", ngx.var.ssl_protocol)
                ngx.say("cipher: ", ngx.var.ssl_cipher ~= nil)
                ngx.say("sni: ", ngx.var.ssl_server_name)
            }
        }
        location /redir {
            return 302 /there;
        }
        location /static {
            alias html;
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 ssl;
        server_name other.com;
        ssl_certificate ../../cert/other.crt;
        ssl_certificate_key ../../cert/other.key;
        location / {
            content_by_lua_block {
                ngx.say("server: other.com, sni: ", ngx.var.ssl_server_name)
            }
        }
    }
};

run_tests();

__DATA__

=== TEST 1: a TLS request: $scheme, $https, $ssl_protocol, $ssl_cipher, $ssl_server_name
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(tls_get("/", "test.com", true))
            ngx.say("plain scheme: ", ngx.var.scheme, ", https: [",
                    ngx.var.https, "]")
        }
    }
--- request
GET /t
--- response_body_like
HTTP/1.1 200 OK
server: test.com
scheme: https
https: on
protocol: TLSv1\.[23]
cipher: true
sni: test.com
plain scheme: http, https: \[\]
--- no_error_log
[error]



=== TEST 2: SNI picks the server and its certificate (verified against its name)
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(tls_get("/", "other.com", true))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
server: other.com, sni: other.com
--- no_error_log
[error]



=== TEST 3: an unknown SNI name gets the default server's certificate
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local res, err = tls_get("/", "nosuch.com", false)
            ngx.say(res and res:match("sni: [^\n]*") or err)
            ngx.say(select(2, tls_get("/", "nosuch.com", true)))
        }
    }
--- request
GET /t
--- response_body
sni: nosuch.com
handshake: certificate host mismatch
--- error_log
lua ssl certificate does not match host "nosuch.com"



=== TEST 4: no SNI at all: the default server answers, $ssl_server_name is empty
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local res, err = tls_get("/", nil, true)
            ngx.say(res and res:match("sni: [^\n]*") or err)
        }
    }
--- request
GET /t
--- response_body
sni: nil
--- no_error_log
[error]



=== TEST 5: plain HTTP sent to the TLS port gets nginx's 400 page
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            sock:send("GET / HTTP/1.0\r\nHost: test.com\r\n\r\n")
            local data = sock:receive("*a")
            ngx.say(data:match("^[^\r]*"))
            ngx.say(data:match("<title>[^<]*</title>"))
            ngx.say(data:match("<center>The[^<]*</center>"))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 400 Bad Request
<title>400 The plain HTTP request was sent to HTTPS port</title>
<center>The plain HTTP request was sent to HTTPS port</center>
--- error_log
client sent plain HTTP request to HTTPS port



=== TEST 6: a relative redirect on a TLS connection says https
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            assert(sock:sslhandshake(nil, "test.com"))
            sock:send("GET /redir HTTP/1.0\r\nHost: test.com\r\n\r\n")
            local data = sock:receive("*a")
            ngx.say(data:match("^[^\r]*"))
            ngx.say((data:match("Location: ([^\r]*)")
                     :gsub("%d+", "PORT")))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 302 Moved Temporarily
https://test.com:PORT/there
--- no_error_log
[error]



=== TEST 7: a static file over TLS
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(tls_get("/static/a.txt", "test.com"))
        }
    }
--- user_files
>>> a.txt
hello over tls
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
hello over tls
--- no_error_log
[error]



=== TEST 8: ssl_protocols limits the version
--- http_config eval
$::HttpConfig . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_protocols TLSv1.2;
        ssl_ciphers HIGH:!aNULL:!MD5;
        ssl_prefer_server_ciphers on;
        ssl_session_cache shared:SSL:1m;
        ssl_session_timeout 10m;
        ssl_session_tickets off;
        location / {
            content_by_lua_block {
                ngx.say(ngx.var.ssl_protocol, " ", ngx.var.https)
            }
        }
    }
}
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(tls_get("/", "test.com", true, $TEST_NGINX_RAND_PORT_2))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
TLSv1.2 on
--- no_error_log
[error]



=== TEST 9: listen ssl without a certificate
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*no "ssl_certificate" is defined for the "listen \.\.\. ssl" directive in /\S+/conf/nginx\.conf:\d+}



=== TEST 10: a certificate file that does not exist
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate nosuch.crt;
        ssl_certificate_key nosuch.key;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*cannot load certificate "/\S+/conf/nosuch\.crt": BIO_new_file\(\) failed \(SSL: error:80000002:system library::No such file or directory}



=== TEST 11: a file that is not a certificate
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate ../../cert/bad.crt;
        ssl_certificate_key ../../cert/server.key;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*cannot load certificate "/\S+/bad\.crt": PEM_read_bio_X509_AUX\(\) failed \(SSL: }



=== TEST 12: a key that does not match the certificate
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/other.key;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*SSL_CTX_use_PrivateKey\("/\S+/other\.key"\) failed \(SSL: .*key values mismatch\)}



=== TEST 13: a certificate without a key
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate ../../cert/server.crt;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*no "ssl_certificate_key" is defined for certificate "[^"]*server\.crt"}



=== TEST 14: bad ssl_protocols, ssl_ciphers and ssl_session_cache values
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_protocols TLSv1.4;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*invalid value "TLSv1\.4" in /\S+/conf/nginx\.conf:\d+}



=== TEST 15: ssl_ciphers that match nothing
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_ciphers FOO;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*SSL_CTX_set_cipher_list\("FOO"\) failed \(SSL: error:0A0000B9:SSL routines::no cipher match\)}



=== TEST 16: a bad ssl_session_cache
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_session_cache foo;
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] .*invalid session cache "foo" in /\S+/conf/nginx\.conf:\d+}



=== TEST 17: the deprecated "ssl on" makes the server's listen speak TLS
--- http_config eval
$::HttpConfig . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        ssl on;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        location / {
            return 200 "\$https \$ssl_session_reused\\n";
        }
    }
}
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(tls_get("/", "test.com", true, $TEST_NGINX_RAND_PORT_2))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
on .
--- error_log eval
qr/\[warn\] .*the "ssl" directive is deprecated, use the "listen \.\.\. ssl" directive instead in \S+nginx\.conf:\d+/



=== TEST 18: a client that gives up in the handshake: nginx's info line
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            -- a TLS record header, then garbage
            sock:send("\22\3\1\0\5hello")
            local data, err = sock:receive("*a")
            ngx.say("closed: ", data ~= nil or err == "closed"
                                or err == "connection reset by peer")
        }
    }
--- request
GET /t
--- response_body
closed: true
--- error_log eval
qr/\[info\] .*SSL_do_handshake\(\) failed \(SSL: .* while SSL handshaking, client: 127\.0\.0\.1, server: 127\.0\.0\.1:\d+/



=== TEST 19: error_page 497 redirects plain HTTP on the TLS port to https
--- http_config eval
$::HttpConfig . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        error_page 497 =301 https://\$host:\$server_port\$request_uri;
        return 200 "ok\\n";
    }
}
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_2))
            sock:send("GET /a?b=1 HTTP/1.1\r\nHost: test.com\r\n\r\n")
            local data = sock:receive("*a")
            ngx.say(data:match("^[^\r]*"))
            ngx.say((data:match("Location: ([^\r]*)"):gsub(":%d+", ":PORT")))
            ngx.say(data:match("Connection: [^\r]*"))
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 301 Moved Permanently
https://test.com:PORT/a?b=1
Connection: close
--- error_log
client sent plain HTTP request to HTTPS port



=== TEST 20: the runner's TEST_NGINX_SERVER_SSL_PORT and TEST_NGINX_CERT_DIR
--- http_config
    lua_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/cert/ca.crt;
    server {
        listen 127.0.0.1:$TEST_NGINX_SERVER_SSL_PORT ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/cert/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/cert/server.key;
        return 200 "$scheme";
    }
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", $TEST_NGINX_SERVER_SSL_PORT))
            assert(sock:sslhandshake(nil, "test.com", true))
            sock:send("GET / HTTP/1.0\r\n\r\n")
            ngx.say((sock:receive("*a"):match("\r\n\r\n(.*)")))
        }
    }
--- request
GET /t
--- response_body
https
--- no_error_log
[error]



=== TEST 21: ssl_reject_handshake on a default server without a certificate
--- http_config eval
$::HttpConfig . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl default_server;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl;
        server_name test.com;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_stapling on;
        ssl_buffer_size 4k;
        return 200 "named\\n";
    }
}
--- config
    location = /t {
        content_by_lua_block {
            local res, err = tls_get("/", "test.com", true, $TEST_NGINX_RAND_PORT_2)
            ngx.say(res and res:match("named") or err)
            ngx.say(select(2, tls_get("/", "nosuch.com", false, $TEST_NGINX_RAND_PORT_2)))
            ngx.say(select(2, tls_get("/", nil, false, $TEST_NGINX_RAND_PORT_2)))
        }
    }
--- request
GET /t
--- response_body
named
handshake: handshake failed
handshake: handshake failed
--- error_log eval
qr/\[info\] .*handshake rejected while SSL handshaking, client: 127\.0\.0\.1/



=== TEST 22: a 300 KB static file over TLS: read in pieces, sent whole
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local res = assert(tls_get("/static/big.bin", "test.com"))
            local status, body = res:match("^([^\n]*)\n(.*)$")
            ngx.say(status, " ", #body, " ", body == string.rep("0123456789", 30720))
        }
    }
--- user_files eval
[["big.bin", "0123456789" x 30720]]
--- request
GET /t
--- response_body
HTTP/1.1 200 OK 307200 true
--- no_error_log
[error]
