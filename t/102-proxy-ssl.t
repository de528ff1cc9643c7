# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_pass https://: SNI (proxy_ssl_server_name, proxy_ssl_name), verification
# (proxy_ssl_verify, proxy_ssl_trusted_certificate, proxy_ssl_verify_depth), its
# failures, a non-TLS upstream, and keepalive pools of TLS upstream connections.

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
        location / {
            return 200 "backend \$scheme sni=\$ssl_server_name host=\$http_host req=\$connection_requests uri=\$request_uri\\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 ssl;
        server_name other.com;
        ssl_certificate ../../cert/other.crt;
        ssl_certificate_key ../../cert/other.key;
        location / {
            return 200 "other sni=\$ssl_server_name\\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl;
        ssl_certificate ../../cert/self.crt;
        ssl_certificate_key ../../cert/self.key;
        return 200 "self-signed\\n";
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        return 200 "plain\\n";
    }
    upstream tls_backend {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        keepalive 8;
    }
};

run_tests();

__DATA__

=== TEST 1: proxy_pass https:// without SNI or verification
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/x?a=1;
    }
--- request
GET /t
--- response_body_like
^backend https sni= host=127\.0\.0\.1:\d+ req=1 uri=/x\?a=1$
--- no_error_log
[error]



=== TEST 2: SNI from proxy_ssl_name picks the certificate verified (Host picks the server)
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        proxy_ssl_server_name on;
        proxy_ssl_name other.com;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ../../cert/ca.crt;
        proxy_ssl_verify_depth 2;
        proxy_ssl_protocols TLSv1.2 TLSv1.3;
        proxy_ssl_session_reuse off;
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- response_body_like
^backend https sni=other\.com host=127\.0\.0\.1:\d+ req=1 uri=/$
--- no_error_log
[error]



=== TEST 3: an upstream named test.com: the default name is the proxy host
--- http_config eval
$::HttpConfig . qq{
    upstream test.com {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
}
--- config
    location = /t {
        proxy_ssl_server_name on;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ../../cert/ca.crt;
        proxy_pass https://test.com/;
    }
--- request
GET /t
--- response_body
backend https sni=test.com host=test.com req=1 uri=/
--- no_error_log
[error]



=== TEST 4: an untrusted upstream certificate: 502 and nginx's log line
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ../../cert/ca.crt;
        proxy_ssl_name test.com;
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_2/;
    }
--- request
GET /t
--- error_code: 502
--- error_log eval
qr/\[error\] .*upstream SSL certificate verify error: \(18:self-signed certificate\) while SSL handshaking to upstream/



=== TEST 5: the upstream certificate does not match proxy_ssl_name
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ../../cert/ca.crt;
        proxy_ssl_name www.example.com;
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- error_code: 502
--- error_log
upstream SSL certificate does not match "www.example.com" while SSL handshaking to upstream



=== TEST 6: https to an upstream that does not speak TLS
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_3/;
    }
--- request
GET /t
--- error_code: 502
--- error_log eval
qr/\[error\] .*SSL_do_handshake\(\) failed \(SSL: error:0A00010B:SSL routines::wrong version number\) while SSL handshaking to upstream, .* upstream: "https:\/\/127\.0\.0\.1:\d+\/"/



=== TEST 7: TLS upstream connections are kept alive and reused
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                local res = ngx.location.capture("/up")
                ngx.print(res.body)
            end
        }
    }
    location = /up {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_ssl_server_name on;
        proxy_ssl_name test.com;
        proxy_pass https://tls_backend/;
    }
--- request
GET /t
--- response_body
backend https sni=test.com host=tls_backend req=1 uri=/
backend https sni=test.com host=tls_backend req=2 uri=/
backend https sni=test.com host=tls_backend req=3 uri=/
--- no_error_log
[error]



=== TEST 8: a proxy_ssl_trusted_certificate that cannot be read
--- config
    location = /t {
        proxy_ssl_trusted_certificate ../../cert/nosuch.crt;
        proxy_ssl_verify on;
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log eval
qr{\[emerg\] .*SSL_CTX_load_verify_locations\("/\S+/nosuch\.crt"\) failed}



=== TEST 9: a bad proxy_ssl_protocols value
--- config
    location = /t {
        proxy_ssl_protocols TLSv9;
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log eval
qr{\[emerg\] .*invalid value "TLSv9" in /\S+/conf/nginx\.conf:\d+}



=== TEST 10: proxy_ssl_verify needs proxy_ssl_trusted_certificate
--- config
    location = /t {
        proxy_ssl_verify on;
        proxy_pass https://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log eval
qr{\[emerg\] .*no proxy_ssl_trusted_certificate for proxy_ssl_verify}



=== TEST 11: the same with a proxy_pass that has variables
--- config
    location = /t {
        set $u http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        proxy_ssl_verify on;
        proxy_pass $u;
    }
--- must_die
--- error_log eval
qr{\[emerg\] .*no proxy_ssl_trusted_certificate for proxy_ssl_verify}



=== TEST 12: proxy_ssl_verify without a trusted file is fine for http:// upstreams
--- config
    location = /t {
        proxy_ssl_verify on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/u;
    }
    location = /u {
        return 200 "plain upstream\n";
    }
--- request
GET /t
--- response_body
plain upstream
--- no_error_log
[error]
