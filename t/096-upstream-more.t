# vim:set ft= ts=4 sw=4 et fdm=marker:
# Upstream methods (hash, ip_hash, least_conn), non_idempotent retries,
# keepalive_requests, and configuration errors.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "backend 1 \$connection_requests\n";
        }
        location /bad {
            return 502 "bad gateway from 1\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / {
            return 200 "backend 3 \$connection_requests\n";
        }
        location /bad {
            return 200 "rescued by 3\n";
        }
    }
};

run_tests();

__DATA__

=== TEST 1: hash by a variable is stable
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_key;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        proxy_pass http://up/;
        add_header X-Addr $upstream_addr;
    }
--- request eval
["GET /t?key=abc", "GET /t?key=abc", "GET /t?key=abc"]
--- response_body_like eval
[qr/^backend (\d)/, qr/^backend (\d)/, qr/^backend (\d)/]
--- no_error_log
[error]



=== TEST 2: hash consistent, ip_hash and least_conn serve requests
--- http_config eval
$::HttpConfig . qq{
    upstream h {
        hash \$uri consistent;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
    upstream ip {
        ip_hash;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
    upstream lc {
        least_conn;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /h { proxy_pass http://h/; }
    location /ip { proxy_pass http://ip/; }
    location /lc { proxy_pass http://lc/; }
--- request eval
["GET /h", "GET /ip", "GET /lc"]
--- response_body_like eval
[qr/^backend \d 1$/, qr/^backend \d 1$/, qr/^backend \d 1$/]
--- no_error_log
[error]



=== TEST 3: POST is not retried on http_502 without non_idempotent
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /bad {
        proxy_next_upstream error http_502;
        proxy_pass http://up;
    }
--- request
POST /bad
data
--- error_code: 502
--- response_body
bad gateway from 1
--- no_error_log
[error]



=== TEST 4: POST is retried with non_idempotent
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /bad {
        proxy_next_upstream error http_502 non_idempotent;
        proxy_pass http://up;
    }
--- request
POST /bad
data
--- response_body
rescued by 3
--- no_error_log
[error]



=== TEST 5: keepalive_requests 2 closes after two requests
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        keepalive 2;
        keepalive_requests 2;
    }
}
--- config
    location /t {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://up/;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["backend 1 1\n", "backend 1 2\n", "backend 1 1\n"]
--- no_error_log
[error]



=== TEST 6: unknown host in proxy_pass
--- config
    location /t {
        proxy_pass http://no-such-host.invalid;
    }
--- request
GET /t
--- must_die
--- error_log
host not found in upstream "no-such-host.invalid"



=== TEST 7: bad proxy_http_version
--- config
    location /t {
        proxy_http_version 2.0;
        proxy_pass http://127.0.0.1:1234;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "2.0" in



=== TEST 8: duplicate upstream
--- http_config
    upstream up {
        server 127.0.0.1:1234;
    }
    upstream up {
        server 127.0.0.1:1235;
    }
--- config
    location /t {
        proxy_pass http://up;
    }
--- request
GET /t
--- must_die
--- error_log
duplicate upstream "up"



=== TEST 9: bad proxy_next_upstream value
--- config
    location /t {
        proxy_next_upstream error bogus;
        proxy_pass http://127.0.0.1:1234;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "bogus"



=== TEST 10: balancer_by_lua_block outside upstream
--- config
    location /t {
        balancer_by_lua_block {
            ngx.log(ngx.ERR, "never")
        }
    }
--- request
GET /t
--- must_die
--- error_log
"balancer_by_lua_block" directive is not allowed here
