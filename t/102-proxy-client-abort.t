# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_ignore_client_abort: off (the default) closes the upstream connection
# when the client goes away while the upstream works, and logs 499; on lets
# the upstream request complete, and the log phase sees its final status.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 2 + 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location /slow {
            lua_check_client_abort on;
            content_by_lua_block {
                ngx.on_abort(function()
                    ngx.log(ngx.WARN, "backend saw the proxy hang up")
                    ngx.exit(444)
                end)
                ngx.sleep(1)
                ngx.say("slow done")
            }
            log_by_lua_block {
                ngx.log(ngx.WARN, "backend status: ", ngx.status)
            }
        }
    }
};

our $Log = q{
        log_by_lua_block {
            ngx.log(ngx.WARN, "front status: ", ngx.status,
                    ", upstream status: ", ngx.var.upstream_status)
        }
};

run_tests();

__DATA__

=== TEST 1: off: the client hangs up, so does the proxy (499)
--- http_config eval: $::HttpConfig
--- config eval
qq{
    location /t {
        proxy_pass http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1/slow;
        $::Log
    }
}
--- request
GET /t
--- timeout: 0.3
--- abort
--- wait: 1.2
--- ignore_response
--- log_level: info
--- error_log
epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream
front status: 499, upstream status: -
backend saw the proxy hang up
--- no_error_log
backend status: 200



=== TEST 2: on: the upstream request completes and the log phase sees 200
--- http_config eval: $::HttpConfig
--- config eval
qq{
    location /t {
        proxy_ignore_client_abort on;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1/slow;
        $::Log
    }
}
--- request
GET /t
--- timeout: 0.3
--- abort
--- wait: 1.2
--- ignore_response
--- error_log
backend status: 200
front status: 200, upstream status: 200
--- no_error_log
backend saw the proxy hang up



=== TEST 3: on, and the client stays: the response is relayed as usual
--- http_config eval: $::HttpConfig
--- config eval
qq{
    location /t {
        proxy_ignore_client_abort on;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_RAND_PORT_1/slow;
        $::Log
    }
}
--- request
GET /t
--- response_body
slow done
--- error_log
front status: 200, upstream status: 200



=== TEST 4: proxy_ignore_client_abort takes on or off
--- config
    location /t {
        proxy_ignore_client_abort sometimes;
        proxy_pass http://127.0.0.1:1234;
    }
--- request
GET /t
--- must_die
--- error_log
invalid value "sometimes" in "proxy_ignore_client_abort" directive, it must be "on" or "off"



=== TEST 5: log lines of a proxied request name the upstream
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/slow;
        log_by_lua_block {
            ngx.log(ngx.WARN, "logging")
        }
    }
--- request
GET /t
--- response_body
slow done
--- error_log eval
qr{logging while logging request, client: 127\.0\.0\.1, server: localhost, request: "GET /t HTTP/1\.1", upstream: "http://127\.0\.0\.1:\d+/slow", host: "localhost"}
