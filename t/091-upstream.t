# vim:set ft= ts=4 sw=4 et fdm=marker:
# upstream blocks: round robin, retries by proxy_next_upstream, $upstream_*
# variables, no live upstreams, keepalive connection reuse.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Conn \$connection;
            add_header X-Conn-Req \$connection_requests;
            return 200 "backend 1\n";
        }
        location /fail {
            return 500 "failed 1\n";
        }
        location /ka {
            return 200 "req \$connection_requests\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / {
            return 200 "backend 3\n";
        }
        location /fail {
            return 200 "rescued by 3\n";
        }
    }
};

run_tests();

__DATA__

=== TEST 1: round robin alternates between two servers
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        proxy_pass http://up/;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["backend 1\n", "backend 3\n"]
--- no_error_log
[error]



=== TEST 2: a refused peer is skipped and $upstream_addr lists both tries
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        proxy_pass http://up;
        header_filter_by_lua_block {
            ngx.header["X-Addr"] = ngx.var.upstream_addr
            ngx.header["X-Status"] = ngx.var.upstream_status
        }
    }
--- request
GET /t
--- response_body
backend 3
--- response_headers_like
X-Addr: 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+
X-Status: 502, 200
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 3: proxy_next_upstream off gives 502 at once
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        proxy_next_upstream off;
        proxy_pass http://up;
    }
--- request
GET /t
--- error_code: 502
--- response_body_like: 502 Bad Gateway
--- error_log
connect() failed (111: Connection refused)



=== TEST 4: http_500 retries on the next peer
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /fail {
        proxy_next_upstream error timeout http_500;
        proxy_pass http://up;
        add_header X-Status $upstream_status always;
    }
--- request
GET /fail
--- response_body
rescued by 3
--- response_headers
X-Status: 500, 200
--- no_error_log
[error]



=== TEST 5: without http_500 the 500 response is passed through
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /fail {
        proxy_pass http://up;
    }
--- request
GET /fail
--- error_code: 500
--- response_body
failed 1
--- no_error_log
[error]



=== TEST 6: proxy_next_upstream_tries 1 stops after the first failure
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        proxy_next_upstream_tries 1;
        proxy_pass http://up;
    }
--- request
GET /t
--- error_code: 502
--- response_body_like: 502 Bad Gateway
--- error_log
connect() failed (111: Connection refused)



=== TEST 7: no live upstreams once the only peers are down
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 down;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 down;
    }
}
--- config
    location /t {
        proxy_pass http://up;
    }
--- request
GET /t
--- error_code: 502
--- error_log eval
qr/\[error\] .*no live upstreams while connecting to upstream, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", upstream: "http:\/\/up\/t", host: "localhost"/
--- response_body_like: 502 Bad Gateway



=== TEST 8: backup server used when the primary fails
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 backup;
    }
}
--- config
    location /t {
        proxy_pass http://up;
    }
--- request
GET /t
--- response_body
backend 3
--- error_log
connect() failed (111: Connection refused)



=== TEST 9: keepalive reuses the upstream connection
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        keepalive 4;
    }
}
--- config
    location /t {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://up/ka;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["req 1\n", "req 2\n", "req 3\n"]
--- no_error_log
[error]



=== TEST 10: without keepalive each request opens a new connection
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
}
--- config
    location /t {
        proxy_pass http://up/ka;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["req 1\n", "req 1\n"]
--- no_error_log
[error]



=== TEST 11: $upstream_response_time and $upstream_http_ variables
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
}
--- config
    location /t {
        proxy_pass http://up/;
        header_filter_by_lua_block {
            ngx.header["X-RT"] = ngx.var.upstream_response_time
            ngx.header["X-HT"] = ngx.var.upstream_header_time
            ngx.header["X-UC"] = ngx.var.upstream_http_x_conn_req
            ngx.header["X-CT"] = ngx.var.upstream_connect_time
            ngx.header["X-BR"] = ngx.var.upstream_bytes_received
        }
    }
--- request
GET /t
--- response_headers_like
X-RT: -
X-HT: \d+\.\d{3}
X-UC: 1
X-CT: \d+\.\d{3}
X-BR: [1-9]\d*
--- no_error_log
[error]



=== TEST 12: unknown upstream parameter is a config error
--- http_config
    upstream up {
        server 127.0.0.1:1234 foo=bar;
    }
--- config
    location /t {
        proxy_pass http://up;
    }
--- request
GET /t
--- must_die
--- error_log
invalid parameter "foo=bar"
